"""The live scoreboard is read once per poll for every screen watching a final, and each screen sees
every change, in order, until the final closes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from judging.service_layer.scoreboard_feed import ScoreboardFeed

CONTEST, STAGE = uuid.uuid4(), uuid.uuid4()
POLL = 0.01


class Hall:
    """The database as the feed sees it: a board the test changes, and how often it was read."""

    def __init__(self) -> None:
        self.board: dict[str, Any] = {"status": "open", "defending_entry_id": None}
        self.reads = 0
        self.failing = 0

    async def load(self, contest_id: uuid.UUID, stage_id: uuid.UUID) -> dict[str, Any]:
        assert (contest_id, stage_id) == (CONTEST, STAGE)
        self.reads += 1
        if self.failing:
            self.failing -= 1
            raise ConnectionError("database restarting")
        return dict(self.board)


async def watch(feed: ScoreboardFeed, hall: Hall, keep_alive_s: float = 60) -> list[dict[str, Any] | None]:
    return [b async for b in feed.boards(CONTEST, STAGE, dict(hall.board), keep_alive_s=keep_alive_s)]


async def reads_past(hall: Hall, reads: int) -> None:
    async with asyncio.timeout(5):
        while hall.reads < reads:
            await asyncio.sleep(POLL / 2)


async def test_thirty_screens_cost_one_read_per_poll_and_all_see_every_change() -> None:
    hall = Hall()
    feed = ScoreboardFeed(hall.load, POLL)
    screens = [asyncio.create_task(watch(feed, hall)) for _ in range(30)]
    await reads_past(hall, 2)
    for entry in ("e1", "e2", "e3"):
        hall.board = {"status": "open", "defending_entry_id": entry}
        await reads_past(hall, hall.reads + 2)  # the change was read, and handed out
    started = asyncio.get_running_loop().time()
    reads = hall.reads
    await asyncio.sleep(20 * POLL)
    per_poll = (hall.reads - reads) / ((asyncio.get_running_loop().time() - started) / POLL)
    assert per_poll <= 1.2, "one read per poll, not one per screen"
    hall.board = {"status": "closed", "defending_entry_id": None}
    seen = await asyncio.wait_for(asyncio.gather(*screens), 5)
    expected = [None, "e1", "e2", "e3", None]
    assert all([b["defending_entry_id"] for b in s if b] == expected for s in seen)
    assert all(s[-1] is not None and s[-1]["status"] == "closed" for s in seen)
    assert feed.watched_stages == 0


async def test_the_poller_stops_with_the_last_screen() -> None:
    hall = Hall()
    feed = ScoreboardFeed(hall.load, POLL)
    streams = [feed.boards(CONTEST, STAGE, dict(hall.board), keep_alive_s=60) for _ in range(3)]
    for stream in streams:
        assert (await anext(stream)) == hall.board
    assert feed.watched_stages == 1
    for stream in streams:
        await stream.aclose()
    assert feed.watched_stages == 0
    await asyncio.sleep(2 * POLL)
    reads = hall.reads
    await asyncio.sleep(5 * POLL)
    assert hall.reads == reads


async def test_a_quiet_board_gives_keep_alives_and_a_failed_read_only_delays_the_next_board() -> None:
    hall = Hall()
    feed = ScoreboardFeed(hall.load, POLL)
    stream = feed.boards(CONTEST, STAGE, dict(hall.board), keep_alive_s=3 * POLL)
    assert (await anext(stream))["status"] == "open"
    assert (await anext(stream)) is None  # nothing changed for keep_alive_s
    hall.failing = 3
    hall.board = {"status": "open", "defending_entry_id": "e1"}
    board = await asyncio.wait_for(_next_board(stream), 5)
    assert board["defending_entry_id"] == "e1" and hall.failing == 0
    await stream.aclose()


async def test_a_closed_final_is_shown_once_without_a_poller() -> None:
    hall = Hall()
    hall.board = {"status": "closed", "defending_entry_id": None}
    feed = ScoreboardFeed(hall.load, POLL)
    assert await watch(feed, hall) == [hall.board]
    assert hall.reads == 0 and feed.watched_stages == 0


async def _next_board(stream: Any) -> dict[str, Any]:
    while (board := await anext(stream)) is None:
        pass
    return board  # type: ignore[no-any-return]
