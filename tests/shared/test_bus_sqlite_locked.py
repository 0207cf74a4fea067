"""SQLite's "database is locked" is the database being unavailable, not the event's fault: another
process holding the write lock past the busy timeout makes the consumers hold their batch and the
relay wait; nothing is counted against an event, nothing is reclaimed or dead-lettered, and when the
lock is released everything is applied once.

The product's busy timeout is 30 s (`db.create_engine`); these tests shorten it on their own engines
(one more `connect` listener, run after the product's) so that the lock outlasts it in a moment."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from kaleidoscope_shared.db import create_engine, is_database_unavailable
from kaleidoscope_shared.worker import build_consumer, build_relay

from .probe import applications, entry, probe_handlers, probe_runtime
from .test_bus_faults import FAST, dead_letters, stream

BUSY_TIMEOUT_MS = 100


def shorten_busy_timeout(engine: AsyncEngine, milliseconds: int = BUSY_TIMEOUT_MS) -> None:
    def pragma(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={milliseconds}")
        cursor.close()

    event.listen(engine.sync_engine, "connect", pragma)


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's writer, as SQLite sees it: a connection of its own in BEGIN IMMEDIATE."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


async def test_database_is_locked_counts_as_the_database_unavailable_and_a_wrong_statement_does_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")  # the product's engine, its driver and pragmas
    shorten_busy_timeout(engine, 0)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE things (id INTEGER PRIMARY KEY)"))
        holder = hold_write_lock(path)
        try:
            with pytest.raises(OperationalError) as locked:
                async with engine.begin() as connection:
                    await connection.execute(text("INSERT INTO things DEFAULT VALUES"))
        finally:
            holder.close()
        with pytest.raises(OperationalError) as wrong:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO no_such_table DEFAULT VALUES"))
    finally:
        await engine.dispose()

    assert "database is locked" in str(locked.value)
    assert is_database_unavailable(locked.value)  # waited for, answered 503, never counted
    assert "no such table" in str(wrong.value)
    assert not is_database_unavailable(wrong.value)  # the statement's fault: counted against the event


async def test_a_write_lock_held_past_the_busy_timeout_makes_consumers_and_relay_wait(
    tmp_path: Path, redis_url: str, namespace: str, redis: Redis
) -> None:
    path = tmp_path / "probe.db"
    runtime, applied = probe_runtime(f"sqlite+aiosqlite:///{path}", redis_url, namespace, **FAST)
    shorten_busy_timeout(runtime.engine)
    await runtime.open()
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    holder: sqlite3.Connection | None = None
    try:
        relay = build_relay(runtime)
        await relay.check_redis()  # this Redis is known to the relay: nothing to publish again later
        async with runtime.sessions() as session, session.begin():
            await runtime.outbox.add_all(session, [entry(f"published {i}") for i in range(20)])
        while await relay.relay_once():
            pass
        async with runtime.sessions() as session, session.begin():  # staged, not yet published
            await runtime.outbox.add_all(session, [entry(f"staged {i}") for i in range(10)])
        holder = hold_write_lock(path)
        consumers = [build_consumer(runtime, probe_handlers(applied)) for _ in range(2)]
        tasks = [asyncio.create_task(c.run(stop)) for c in consumers]
        tasks.append(asyncio.create_task(relay.run(stop)))
        # 3 s locked: thirty busy timeouts, fifteen reclaim idle times, ten times max_deliveries (3)
        await asyncio.sleep(3.0)
        pending = await redis.xpending_range(stream(namespace), "probe", min="-", max="+", count=100)
        assert len(pending) == 20, "the consumers read the published events"
        assert {p["times_delivered"] for p in pending} == {1}, "an event was reclaimed or delivered again"
        assert await redis.hlen(f"{namespace}.failures.probe") == 0, "the lock was counted as a failure"
        assert await dead_letters(redis, namespace) == 0
        assert await redis.xlen(stream(namespace)) == 20  # the relay could not claim the staged rows
        assert await applications(runtime, applied) == {}  # reads go on under the lock (WAL)
        holder.rollback()
        holder.close()
        holder = None
        deadline = time.monotonic() + 30
        while len(seen := await applications(runtime, applied)) < 30:
            assert time.monotonic() < deadline, f"{len(seen)} of 30 applied after the lock was released"
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*tasks)
        assert set(seen.values()) == {1}
        assert await dead_letters(redis, namespace) == 0
        assert (await redis.xpending(stream(namespace), "probe"))["pending"] == 0
        assert await redis.hlen(f"{namespace}.failures.probe") == 0
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if holder is not None:
            holder.close()
        await runtime.close()
