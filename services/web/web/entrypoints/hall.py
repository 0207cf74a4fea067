"""The hall screen of a public final: a projector page, then live over Server-Sent Events.

The page is rendered whole on the server (it works without JavaScript, refreshing itself), then
`hall.js` listens to `/contests/{c}/hall/events`. A score shows only when judging's scoreboard shows it
(after that entry's defence ends): the page never computes what judging has not published.

However many screens and phones watch, a web process holds ONE subscription to judging's scoreboard
stream per final (`HallFeeds`), started by the first viewer and stopped a while after the last one
leaves; each viewer has a queue of one holding only the latest board, so a slow screen never holds up
the others, and skips straight to the newest board.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from kaleidoscope_shared.observability.logging import get_logger
from kaleidoscope_shared.observability.metrics import HALL_VIEWERS

from ..adapters.api import ApiProblem, ServiceApi, Services, ServiceUnavailable
from ..i18n import current_language
from .dependencies import ServicesDep
from .public import published_contest
from .rendering import environment, figure, render

log = get_logger(__name__)
router = APIRouter()

KEEP_ALIVE_S = 15.0
Board = dict[str, Any]


def board_id(board: Board) -> str:
    """The event id of a board: a number taken from its content, so every web process names the same
    board alike (a screen reconnecting to another process is not sent a board it already shows)."""
    canonical = json.dumps(board, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return str(int.from_bytes(hashlib.blake2b(canonical.encode(), digest_size=6).digest(), "big"))


# --- the shared upstream subscription ----------------------------------------------------------------


@dataclass(eq=False)
class Viewer:
    """One screen: a queue of one that always holds the newest board not yet sent."""

    feed: Feed
    queue: asyncio.Queue[tuple[str, Board]] = field(default_factory=lambda: asyncio.Queue(maxsize=1))

    def offer(self, item: tuple[str, Board]) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # the older board is outdated: drop it
        self.queue.put_nowait(item)

    def current(self) -> tuple[str, Board] | None:
        return self.feed.latest


@dataclass(eq=False)
class Feed:
    """One final's scoreboard, read once from judging and handed to every viewer in this process."""

    contest_id: str
    stage_id: str
    viewers: set[Viewer] = field(default_factory=set)
    latest: tuple[str, Board] | None = None
    task: asyncio.Task[None] | None = None
    stopping: asyncio.TimerHandle | None = None
    connections: int = 0

    def publish(self, board: Board) -> None:
        item = (board_id(board), board)
        if self.latest is not None and self.latest[0] == item[0]:
            return
        self.latest = item
        for viewer in list(self.viewers):
            viewer.offer(item)


class HallFeeds:
    """Every final watched from this web process, each with its single upstream subscription."""

    def __init__(
        self,
        judging: ServiceApi,
        *,
        linger_s: float = 30.0,
        backoff_s: float = 0.5,
        max_backoff_s: float = 15.0,
    ) -> None:
        self.judging = judging
        self.linger_s = linger_s
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.feeds: dict[tuple[str, str], Feed] = {}
        # each contest and its final, looked up once per few seconds however many screens connect
        self.lookups: dict[uuid.UUID, tuple[float, dict[str, Any], dict[str, Any] | None]] = {}

    @contextlib.asynccontextmanager
    async def watch(self, contest_id: str, stage_id: str) -> AsyncIterator[Viewer]:
        """A viewer of the final's board for as long as the block runs."""
        key = (str(contest_id), str(stage_id))
        feed = self.feeds.get(key)
        if feed is None:
            feed = self.feeds[key] = Feed(*key)
        if feed.stopping is not None:
            feed.stopping.cancel()
            feed.stopping = None
        if feed.task is None or feed.task.done():
            feed.task = asyncio.create_task(self._follow(feed), name=f"hall-feed-{key[1]}")
        viewer = Viewer(feed)
        feed.viewers.add(viewer)
        HALL_VIEWERS.inc()
        try:
            yield viewer
        finally:
            HALL_VIEWERS.dec()
            feed.viewers.discard(viewer)
            if not feed.viewers and self.feeds.get(key) is feed:
                loop = asyncio.get_running_loop()
                feed.stopping = loop.call_later(self.linger_s, self._stop_if_unwatched, feed)

    def latest(self, contest_id: str, stage_id: str) -> tuple[str, Board] | None:
        feed = self.feeds.get((str(contest_id), str(stage_id)))
        return feed.latest if feed else None

    def _stop_if_unwatched(self, feed: Feed) -> None:
        feed.stopping = None
        key = (feed.contest_id, feed.stage_id)
        if feed.viewers or self.feeds.get(key) is not feed:
            return
        del self.feeds[key]
        if feed.task is not None:
            feed.task.cancel()

    async def _follow(self, feed: Feed) -> None:
        """Read judging's stream, publishing each board; reconnect with growing, jittered pauses. The
        stream ends for good once the final has closed: that board is final."""
        path = f"/contests/{feed.contest_id}/stages/{feed.stage_id}/scoreboard/stream"
        failures = 0
        while True:
            try:
                feed.connections += 1
                async with self.judging.stream(path) as response:
                    async for event, data in sse_events(response):
                        if event == "scoreboard":
                            feed.publish(json.loads(data))
                            failures = 0
                if feed.latest is not None and feed.latest[1].get("status") == "closed":
                    return
            except asyncio.CancelledError:
                raise
            except (ApiProblem, ServiceUnavailable, httpx.HTTPError, ValueError) as error:
                log.warning("web.hall_feed_lost", stage_id=feed.stage_id, error=str(error))
            failures += 1
            pause = min(self.max_backoff_s, self.backoff_s * 2 ** min(failures - 1, 10))
            await asyncio.sleep(pause * random.uniform(0.7, 1.0))

    async def close(self) -> None:
        feeds, self.feeds = list(self.feeds.values()), {}
        for feed in feeds:
            if feed.stopping is not None:
                feed.stopping.cancel()
            if feed.task is not None:
                feed.task.cancel()
        for feed in feeds:
            if feed.task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await feed.task


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) of a text/event-stream; comments (keep-alives) are skipped."""
    event, data = "message", list[str]()
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", list[str]()
        elif line.startswith(":"):
            continue
        else:
            name, _colon, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)


# --- what the screen shows ------------------------------------------------------------------------------


def hall_view(contest: dict[str, Any], board: Board) -> dict[str, Any]:
    """The board as the screen shows it: the running order with each line's state, the defence in
    progress, the ranking per nomination of defended entries by mean, and at the close the winners."""
    names = {n["code"]: n["title"] for n in contest.get("nominations", [])}
    order = [n["code"] for n in contest.get("nominations", [])]
    defending = board.get("defending_entry_id")
    closed = board.get("status") == "closed"
    lines = []
    for position, entry in enumerate(board.get("entries", []), start=1):
        state = (
            "defending"
            if entry["entry_id"] == defending
            else "defended"
            if entry.get("defended")
            else "waiting"
        )
        mean = entry.get("mean") if entry.get("defended") else None
        lines.append(
            {
                **entry,
                "position": position,
                "state": state,
                "nomination": names.get(entry.get("nomination_code", ""), entry.get("nomination_code", "")),
                "score": score_text(mean),
            }
        )
    rankings = []
    for code in order + sorted({line["nomination_code"] for line in lines} - set(order)):
        ranked = sorted(
            (ln for ln in lines if ln["nomination_code"] == code and ln["score"]),
            key=lambda ln: -float(ln["mean"]),
        )
        if not any(ln["nomination_code"] == code for ln in lines):
            continue
        rank, previous = 0, None
        for index, line in enumerate(ranked, start=1):
            if line["mean"] != previous:
                rank, previous = index, line["mean"]
            line["rank"] = rank
        winners = (
            sorted(
                (ln for ln in lines if ln["nomination_code"] == code and ln.get("place")),
                key=lambda ln: ln["place"],
            )
            if closed
            else []
        )
        rankings.append({"code": code, "title": names.get(code, code), "entries": ranked, "winners": winners})
    return {
        "name": board.get("name", ""),
        "status": board.get("status", ""),
        "closed": closed,
        "lines": lines,
        "current": next((ln for ln in lines if ln["state"] == "defending"), None),
        "rankings": rankings,
        "defended": sum(1 for ln in lines if ln["state"] == "defended"),
    }


def score_text(mean: Any) -> str:
    return "" if mean is None else figure(mean)


def board_html(contest: dict[str, Any], board: Board, language: str) -> str:
    """The board's part of the page, in the viewer's language (the same template as the first render)."""
    token = current_language.set(language)
    try:
        return environment.get_template("hall/board.html").render(
            hall=hall_view(contest, board), lang=language
        )
    finally:
        current_language.reset(token)


# --- routes ----------------------------------------------------------------------------------------------


async def final_of(services: Services, contest_id: uuid.UUID) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await services.judging.get(f"/contests/{contest_id}/final")
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return None
    return found


# A hall fills in a minute: hundreds of screens connecting at once ask the same two questions.
HALL_LOOKUP_TTL_S = 5.0


async def hall_of(
    feeds: HallFeeds, services: Services, contest_id: uuid.UUID
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The contest and its final (None before one is declared), kept for a few seconds."""
    now = time.monotonic()
    known = feeds.lookups.get(contest_id)
    if known is not None and now - known[0] < HALL_LOOKUP_TTL_S:
        return known[1], known[2]
    contest = await published_contest(services, contest_id)
    final = await final_of(services, contest_id)
    if len(feeds.lookups) > 256:
        feeds.lookups.clear()
    feeds.lookups[contest_id] = (now, contest, final)
    return contest, final


@router.get("/contests/{contest_id}/hall", response_class=HTMLResponse)
async def hall_page(request: Request, contest_id: uuid.UUID, services: ServicesDep) -> Response:
    contest, final = await hall_of(request.app.state.hall_feeds, services, contest_id)
    if final is None:
        return render(request, "hall/waiting.html", title=contest["title"], contest=contest)
    stage_id = str(final["stage_id"])
    feeds: HallFeeds = request.app.state.hall_feeds
    latest = feeds.latest(str(contest_id), stage_id)
    if latest is None:
        board = await services.judging.get(f"/contests/{contest_id}/stages/{stage_id}/scoreboard")
        latest = (board_id(board), board)
    return render(
        request,
        "hall/screen.html",
        title=contest["title"],
        contest=contest,
        board_html=board_html(contest, latest[1], current_language.get()),
        event_id=latest[0],
        closed=latest[1].get("status") == "closed",
    )


@router.get("/contests/{contest_id}/hall/events")
async def hall_events(
    request: Request, contest_id: uuid.UUID, services: ServicesDep, last: str = ""
) -> Response:
    """Server-Sent Events: `board` whenever the scoreboard changes, each with its id; a screen that
    reconnects with the id of the board it shows gets nothing until the next change (`last` does the
    same for the first connection, from the id the page was rendered with)."""
    contest, final = await hall_of(request.app.state.hall_feeds, services, contest_id)
    if final is None:
        return Response(status_code=204)  # no final yet: the screen stops listening and reloads later
    seen = request.headers.get("last-event-id") or last
    language = current_language.get()
    feeds: HallFeeds = request.app.state.hall_feeds
    return StreamingResponse(
        board_events(feeds, str(contest_id), str(final["stage_id"]), contest, seen, language),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def board_events(
    feeds: HallFeeds,
    contest_id: str,
    stage_id: str,
    contest: dict[str, Any],
    seen: str,
    language: str,
    keep_alive_s: float = KEEP_ALIVE_S,
) -> AsyncIterator[str]:
    async with feeds.watch(contest_id, stage_id) as viewer:
        yield "retry: 2000\n\n"
        current = viewer.current()
        if current is not None and current[0] != seen:
            yield board_event(*current, contest, language)
            seen = current[0]
        while True:
            try:
                item = await asyncio.wait_for(viewer.queue.get(), keep_alive_s)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if item[0] != seen:
                yield board_event(*item, contest, language)
                seen = item[0]


# One board is shown to every viewer of a final: its event is written once per language, not per viewer.
_RENDERED: OrderedDict[tuple[str, str, str], str] = OrderedDict()
RENDERED_KEPT = 64


def board_event(event_id: str, board: Board, contest: dict[str, Any], language: str) -> str:
    key = (str(contest["id"]), event_id, language)
    event = _RENDERED.get(key)
    if event is None:
        event = _RENDERED[key] = _write_board_event(event_id, board, contest, language)
        while len(_RENDERED) > RENDERED_KEPT:
            _RENDERED.popitem(last=False)
    return event


def _write_board_event(event_id: str, board: Board, contest: dict[str, Any], language: str) -> str:
    payload = {
        "id": event_id,
        "board": board,
        "html": board_html(contest, board, language),
        "closed": board.get("status") == "closed",
    }
    return f"id: {event_id}\nevent: board\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
