"""The live scoreboard of a final, read once per poll for every screen watching it.

A hall screen, the organisers' laptops and a streamed page may all watch the same final. Each API
process keeps one poller per watched stage: it reads the scoreboard every `poll_s` and hands a changed
board to every watcher of that stage, so the database sees one query per poll however many watch. The
poller starts with the first watcher and stops with the last one, or when the final closes. Any
replica serves a stream: each reads the shared database.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from kaleidoscope_shared.observability.logging import get_logger

log = get_logger(__name__)

Board = dict[str, Any]
LoadBoard = Callable[[uuid.UUID, uuid.UUID], Awaitable[Board]]


@dataclass
class _Watched:
    board: Board
    version: int = 0
    watchers: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    poller: asyncio.Task[None] | None = None


class ScoreboardFeed:
    def __init__(self, load: LoadBoard, poll_s: float) -> None:
        self._load = load
        self._poll_s = poll_s
        self._stages: dict[tuple[uuid.UUID, uuid.UUID], _Watched] = {}

    @property
    def watched_stages(self) -> int:
        """How many stages have a poller now."""
        return len(self._stages)

    async def boards(
        self, contest_id: uuid.UUID, stage_id: uuid.UUID, first: Board, *, keep_alive_s: float
    ) -> AsyncIterator[Board | None]:
        """The stage's board now, then each changed board until the final closes; `None` after
        `keep_alive_s` without a change (for the stream to send a keep-alive)."""
        if first["status"] == "closed":
            yield first
            return
        key = (contest_id, stage_id)
        watched = self._stages.get(key)
        if watched is None:
            watched = self._stages[key] = _Watched(board=first)
            watched.poller = asyncio.create_task(self._poll(key, watched))
        watched.watchers += 1
        try:
            seen = -1
            while True:
                board, seen = await self._next(watched, seen, keep_alive_s)
                yield board
                if board is not None and board["status"] == "closed":
                    return
        finally:
            watched.watchers -= 1
            if watched.watchers == 0 and self._stages.get(key) is watched:
                del self._stages[key]
                if watched.poller is not None:
                    watched.poller.cancel()

    @staticmethod
    async def _next(watched: _Watched, seen: int, keep_alive_s: float) -> tuple[Board | None, int]:
        """The board and its version once the version is past `seen`; no board after `keep_alive_s`
        without one."""

        def changed() -> bool:
            return watched.version != seen

        async with watched.changed:
            try:
                await asyncio.wait_for(watched.changed.wait_for(changed), keep_alive_s)
            except TimeoutError:
                return None, seen
            return watched.board, watched.version

    async def _poll(self, key: tuple[uuid.UUID, uuid.UUID], watched: _Watched) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                board = await self._load(*key)
            except Exception:  # the database may be away for a moment; the screens keep the last board
                log.warning(
                    "scoreboard.poll_failed", contest_id=str(key[0]), stage_id=str(key[1]), exc_info=True
                )
                continue
            if board != watched.board:
                async with watched.changed:
                    watched.board, watched.version = board, watched.version + 1
                    watched.changed.notify_all()
            if board["status"] == "closed":
                if self._stages.get(key) is watched:
                    del self._stages[key]  # a later watcher starts afresh (and sees it closed)
                return
