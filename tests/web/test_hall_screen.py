"""The hall screen: the page rendered from judging's board, and the live feed shared by every screen
(one upstream subscription per final per web process, the newest board to each viewer, reconnects)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from web.adapters.api import ServiceApi, Services
from web.entrypoints.hall import HallFeeds, board_id
from web.main import create_app
from web.settings import WebSettings

CONTEST = str(uuid.uuid4())
STAGE = str(uuid.uuid4())
A, B, C = (str(uuid.uuid4()) for _ in range(3))
CONTEST_JSON = {
    "id": CONTEST,
    "title": "Kaleidoscope 2026",
    "status": "submissions_closed",
    "nominations": [{"code": "video", "title": "Video stories"}, {"code": "games", "title": "Library games"}],
}


def board(
    defending: str | None = None,
    defended: dict[str, float] | None = None,
    status: str = "open",
    places: dict[str, int] | None = None,
) -> dict[str, Any]:
    defended = defended or {}
    titles = {A: ("River stories", "video"), B: ("Old town", "video"), C: ("Quest of books", "games")}
    return {
        "stage_id": STAGE,
        "contest_id": CONTEST,
        "name": "Final",
        "status": status,
        "defending_entry_id": defending,
        "entries": [
            {
                "entry_id": e,
                "title": titles[e][0],
                "nomination_code": titles[e][1],
                "defended": e in defended,
                "sheets": 3 if e in defended else None,
                "mean": defended.get(e),
                "place": (places or {}).get(e),
            }
            for e in (A, B, C)
        ],
    }


class Upstream(httpx.AsyncByteStream):
    """One open connection to judging's scoreboard stream."""

    def __init__(self, judging: FakeJudging) -> None:
        self.judging = judging
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.queue.put_nowait(event(judging.board))

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.queue.get()) is not None:
            yield chunk

    async def aclose(self) -> None:
        self.judging.open.discard(self)


def event(board: dict[str, Any]) -> bytes:
    return f"event: scoreboard\ndata: {json.dumps(board, sort_keys=True)}\n\n".encode()


class FakeJudging:
    """Judging's public final routes; the scoreboard stream sends the board at once, then each change."""

    def __init__(self) -> None:
        self.board = board()
        self.connections = 0
        self.open: set[Upstream] = set()
        self.declared = True

    def change(self, new: dict[str, Any]) -> None:
        self.board = new
        for stream in self.open:
            stream.queue.put_nowait(event(new))

    def drop_connections(self) -> None:
        for stream in list(self.open):
            stream.queue.put_nowait(None)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == f"/contests/{CONTEST}/final" and self.declared:
            return httpx.Response(
                200, json={"stage_id": STAGE, "name": "Final", "status": self.board["status"]}
            )
        if path == f"/contests/{CONTEST}/stages/{STAGE}/scoreboard":
            return httpx.Response(200, json=self.board)
        if path == f"/contests/{CONTEST}/stages/{STAGE}/scoreboard/stream":
            self.connections += 1
            stream = Upstream(self)
            self.open.add(stream)
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)
        return httpx.Response(404, json={"status": 404, "title": "Not found"})


def submissions(request: httpx.Request) -> httpx.Response:
    if request.url.path == f"/contests/{CONTEST}":
        return httpx.Response(200, json=CONTEST_JSON)
    return httpx.Response(404, json={"status": 404, "title": "Not found"})


@pytest.fixture
def judging() -> FakeJudging:
    return FakeJudging()


@pytest.fixture
async def app(judging: FakeJudging) -> AsyncIterator[Any]:
    services = Services(
        submissions=ServiceApi(
            "submissions", "http://submissions", 5, transport=httpx.MockTransport(submissions)
        ),
        judging=ServiceApi("judging", "http://judging", 5, transport=httpx.MockTransport(judging.handle)),
        notifications=ServiceApi(
            "notifications",
            "http://notifications",
            5,
            transport=httpx.MockTransport(lambda r: httpx.Response(404)),
        ),
    )
    app = create_app(WebSettings(environment="test", log_format="console"), services=services)
    app.state.hall_feeds = HallFeeds(services.judging, linger_s=0.2, backoff_s=0.02, max_backoff_s=0.1)
    yield app
    await app.state.hall_feeds.close()
    await services.close()


@contextlib.asynccontextmanager
async def screen(app: Any, headers: dict[str, str] | None = None) -> AsyncIterator[Events]:
    """A hall screen's EventSource connection to /contests/{c}/hall/events, straight over ASGI."""
    path = f"/contests/{CONTEST}/hall/events"
    received: asyncio.Queue[Any] = asyncio.Queue()
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            received.put_nowait(("status", message["status"]))
        elif message.get("body"):
            received.put_nowait(message["body"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"accept-language", b"en")]
        + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    task = asyncio.create_task(app(scope, receive, send))
    events = Events(received)
    try:
        assert await asyncio.wait_for(received.get(), 2) == ("status", 200)
        yield events
    finally:
        gone.set()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 2)


class Events:
    """The `board` events a screen receives (comments and the retry hint are skipped)."""

    def __init__(self, received: asyncio.Queue[Any]) -> None:
        self.received = received
        self.buffer = ""

    async def next_board(self, within: float = 1.0) -> tuple[str, dict[str, Any]]:
        async with asyncio.timeout(within):
            while True:
                if "\n\n" in self.buffer:
                    block, self.buffer = self.buffer.split("\n\n", 1)
                    fields = dict(
                        line.split(": ", 1) for line in block.splitlines() if not line.startswith(":")
                    )
                    if fields.get("event") == "board":
                        return fields["id"], json.loads(fields["data"])
                    continue
                self.buffer += (await self.received.get()).decode()


async def test_many_screens_share_one_upstream_subscription(app: Any, judging: FakeJudging) -> None:
    async with contextlib.AsyncExitStack() as stack:
        screens = [await stack.enter_async_context(screen(app)) for _ in range(5)]
        for each in screens:
            await each.next_board()

        judging.change(board(defending=A))
        for each in screens:
            _id, payload = await each.next_board(within=1.0)  # a change reaches every screen within 1 s
            assert payload["board"]["defending_entry_id"] == A
            assert "Defending now" in payload["html"]

    assert judging.connections == 1


async def test_many_viewers_of_hall_feeds_share_one_upstream_subscription(judging: FakeJudging) -> None:
    api = ServiceApi("judging", "http://judging", 5, transport=httpx.MockTransport(judging.handle))
    feeds = HallFeeds(api, linger_s=0.2, backoff_s=0.02)
    try:
        async with contextlib.AsyncExitStack() as stack:
            viewers = [await stack.enter_async_context(feeds.watch(CONTEST, STAGE)) for _ in range(50)]
            for viewer in viewers:
                await asyncio.wait_for(viewer.queue.get(), 1)
            judging.change(board(defended={A: 8.5}))
            judging.change(board(defended={A: 8.5}, defending=B))
            await asyncio.sleep(0.05)
            for viewer in viewers:  # a queue of one: only the newest board waits for a slow screen
                _id, latest = viewer.queue.get_nowait()
                assert latest["defending_entry_id"] == B
                assert viewer.queue.empty()
        assert judging.connections == 1
    finally:
        await feeds.close()
        await api.close()


async def test_a_screen_reconnecting_with_an_old_id_gets_the_current_board_at_once(
    app: Any, judging: FakeJudging
) -> None:
    async with screen(app) as first:
        old_id, _payload = await first.next_board()
        judging.change(board(defended={A: 7.25}))
        current_id, _payload = await first.next_board()

    async with screen(app, {"Last-Event-ID": old_id}) as again:
        event_id, payload = await again.next_board(within=0.5)

    assert event_id == current_id == board_id(judging.board)
    assert payload["board"]["entries"][0]["mean"] == 7.25


async def test_a_screen_reconnecting_with_the_current_id_waits_for_the_next_change(
    app: Any, judging: FakeJudging
) -> None:
    async with screen(app) as first:
        current_id, _payload = await first.next_board()
        async with screen(app, {"Last-Event-ID": current_id}) as again:
            with pytest.raises(TimeoutError):
                await again.next_board(within=0.3)
            judging.change(board(defending=A))
            event_id, payload = await again.next_board()
    assert event_id != current_id
    assert payload["board"]["defending_entry_id"] == A


async def test_the_feed_reconnects_to_judging_by_itself(app: Any, judging: FakeJudging) -> None:
    async with screen(app) as watching:
        await watching.next_board()
        judging.drop_connections()
        judging.board = board(defending=C)  # changed while the feed was away
        _id, payload = await watching.next_board(within=1.0)
    assert payload["board"]["defending_entry_id"] == C
    assert judging.connections == 2


async def test_the_subscription_stops_a_while_after_the_last_screen_leaves(
    app: Any, judging: FakeJudging
) -> None:
    async with screen(app) as watching:
        await watching.next_board()
    assert judging.open  # still held for a moment (a screen reloading comes straight back)
    await asyncio.sleep(0.4)
    assert not judging.open
    assert app.state.hall_feeds.feeds == {}


async def page(app: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"accept-language": "en"},
    ) as browser:
        return await browser.get(f"/contests/{CONTEST}/hall")


async def test_the_hall_page_shows_only_the_scores_judging_has_revealed(
    app: Any, judging: FakeJudging
) -> None:
    judging.board = board(defending=B, defended={A: 8.5})
    judging.board["entries"][1]["mean"] = 9.9  # never shown while B defends, even if it leaked

    response = await page(app)

    assert response.status_code == 200
    assert "Kaleidoscope 2026" in response.text
    assert "8.50" in response.text
    assert "9.90" not in response.text
    assert 'class="hall-line state-defending"' in response.text
    assert "Video stories" in response.text
    assert f"/contests/{CONTEST}/hall/events?last={board_id(judging.board)}" in response.text


async def test_the_hall_ranks_defended_entries_by_mean_within_each_nomination(
    app: Any, judging: FakeJudging
) -> None:
    judging.board = board(defended={A: 7.0, B: 8.0, C: 6.0})

    text = (await page(app)).text

    ranking = text[text.index('class="hall-side"') :]
    assert ranking.index("Old town") < ranking.index("River stories")
    assert ranking.index("Video stories") < ranking.index("Library games") < ranking.index("Quest of books")


async def test_at_the_close_the_hall_names_the_winners_of_each_nomination(
    app: Any, judging: FakeJudging
) -> None:
    judging.board = board(defended={A: 7.0, B: 8.0, C: 6.0}, status="closed", places={B: 1, A: 2, C: 1})

    text = (await page(app)).text

    assert "Winners" in text
    winners = text[text.index("Winners") :]
    assert (
        winners.index("Winner")
        < winners.index("Old town")
        < winners.index("Place 2")
        < winners.index("River stories")
    )
    assert "Quest of books" in winners
    assert 'http-equiv="refresh"' not in text  # a closed board never changes


async def test_a_contest_without_a_final_shows_a_waiting_screen(app: Any, judging: FakeJudging) -> None:
    judging.declared = False

    response = await page(app)

    assert response.status_code == 200
    assert "The final has not been announced yet" in response.text
