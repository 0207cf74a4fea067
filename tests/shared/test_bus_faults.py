"""What is not an event's fault never counts against it: a database outage, killed consumers, a slow
batch, a Redis that restarts or comes back empty. Real Redis servers and a real PostgreSQL of the
tests' own, stopped and started at will."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from kaleidoscope_cli.embedded_redis import RedisServer
from kaleidoscope_shared.bus.consumer import EventContext, StreamConsumer
from kaleidoscope_shared.contracts import EntrySubmitted, Event
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.worker import build_consumer, build_relay

from ..own_postgres import PostgresCluster, available
from .probe import applications, entry, probe_handlers, probe_runtime

# Redis servers and PostgreSQL clusters of the tests' own, started and killed as processes.
pytestmark = pytest.mark.integration

FAST = {"reclaim_idle_ms": 200, "reclaim_interval_s": 0.1, "max_deliveries": 3, "consumer_block_ms": 100}


async def stage_and_publish(runtime: ServiceRuntime, count: int, prefix: str = "entry") -> None:
    async with runtime.sessions() as session, session.begin():
        await runtime.outbox.add_all(session, [entry(f"{prefix} {i}") for i in range(count)])
    relay = build_relay(runtime)
    while await relay.relay_once():
        pass


async def consume_until(
    consumers: list[StreamConsumer], runtime: ServiceRuntime, applied: object, count: int, timeout: float = 30
) -> dict[str, int]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(c.run(stop)) for c in consumers]
    try:
        deadline = time.monotonic() + timeout
        while True:
            seen = await applications(runtime, applied)  # type: ignore[arg-type]
            if len(seen) >= count:
                return seen
            assert time.monotonic() < deadline, f"{len(seen)} of {count} applied in time"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def dead_letters(redis: Redis, namespace: str, group: str = "probe") -> int:
    return int(await redis.xlen(f"{namespace}.dead-letters.{group}"))


def stream(namespace: str) -> str:
    return EntrySubmitted.stream(namespace)


# --- a database outage ---------------------------------------------------------------------------


@pytest.fixture
def cluster() -> AsyncIterator[PostgresCluster]:  # type: ignore[misc]
    if not available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but initdb/pg_ctl are not found")
        pytest.skip("initdb/pg_ctl not found: no PostgreSQL cluster of the test's own")
    own = PostgresCluster().start()
    yield own
    own.remove()


async def test_a_database_outage_longer_than_every_retry_dead_letters_nothing(
    cluster: PostgresCluster, redis_url: str, namespace: str, redis: Redis
) -> None:
    url = cluster.create_database("probe")
    runtime, applied = probe_runtime(url, redis_url, namespace, **FAST)
    await runtime.open()
    try:
        await stage_and_publish(runtime, 40)
        cluster.stop("immediate")
        stop = asyncio.Event()
        consumers = [build_consumer(runtime, probe_handlers(applied)) for _ in range(2)]
        tasks = [asyncio.create_task(c.run(stop)) for c in consumers]
        # 3 s down: fifteen reclaim idle times, five times the failures that dead-letter an event
        await asyncio.sleep(3.0)
        summary = await redis.xpending(stream(namespace), "probe")
        assert summary["pending"] > 0, "the consumers read while the database was down"
        cluster.start()
        deadline = time.monotonic() + 30
        while len(await applications(runtime, applied)) < 40:
            assert time.monotonic() < deadline, "not everything was applied after the outage"
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*tasks)
        seen = await applications(runtime, applied)
        assert set(seen.values()) == {1}
        assert await dead_letters(redis, namespace) == 0
        assert (await redis.xpending(stream(namespace), "probe"))["pending"] == 0
        # nothing was reclaimed or redelivered during the outage
        assert await redis.hlen(f"{namespace}.failures.probe") == 0
    finally:
        await runtime.close()


# --- crashes and handler failures ------------------------------------------------------------------


async def deliver_to_dead_consumers(redis: Redis, namespace: str, times: int) -> bytes:
    """Deliver the stream's first message `times` times to consumers that die without a word."""
    [[_, [[message_id, _]]]] = await redis.xreadgroup("probe", "killed-0", {stream(namespace): ">"}, count=1)
    for i in range(1, times):
        await redis.xclaim(
            stream(namespace), "probe", f"killed-{i}", min_idle_time=0, message_ids=[message_id]
        )
    return bytes(message_id)


@pytest.fixture
async def probe_on(
    database_url: str, redis_url: str, namespace: str, redis: Redis
) -> AsyncIterator[tuple[ServiceRuntime, object]]:
    runtime, applied = probe_runtime(database_url, redis_url, namespace, **FAST)
    await runtime.open()
    yield runtime, applied
    await runtime.close()


async def test_ten_killed_consumers_never_dead_letter_a_healthy_event(
    probe_on: tuple[ServiceRuntime, object], namespace: str, redis: Redis
) -> None:
    runtime, applied = probe_on
    await stage_and_publish(runtime, 1)
    consumer = build_consumer(runtime, probe_handlers(applied))  # type: ignore[arg-type]
    await consumer.ensure_groups()
    await deliver_to_dead_consumers(redis, namespace, 10)  # more than max_deliveries (3)
    seen = await consume_until([consumer], runtime, applied, 1)
    assert list(seen.values()) == [1]
    assert await dead_letters(redis, namespace) == 0


async def test_a_message_that_kills_every_consumer_ends_in_dead_letters_as_a_crash(
    database_url: str, redis_url: str, namespace: str, redis: Redis
) -> None:
    runtime, applied = probe_runtime(database_url, redis_url, namespace, **FAST, max_crashes=6)
    await runtime.open()
    try:
        await stage_and_publish(runtime, 1)
        consumer = build_consumer(runtime, probe_handlers(applied))
        await consumer.ensure_groups()
        await deliver_to_dead_consumers(redis, namespace, 6)
        await asyncio.sleep(0.3)  # past the reclaim idle time
        await consumer.reclaim_once()
        [(_, record)] = await redis.xrange(f"{namespace}.dead-letters.probe")
        assert record[b"reason"] == b"max-crashes"
        assert b"6 of them ending with no outcome" in record[b"error"]
        assert await applications(runtime, applied) == {}
    finally:
        await runtime.close()


async def test_handler_failures_are_counted_and_their_error_kept(
    probe_on: tuple[ServiceRuntime, object], namespace: str, redis: Redis
) -> None:
    runtime, applied = probe_on
    async with runtime.sessions() as session, session.begin():
        await runtime.outbox.add(session, entry("poison pill"))
    relay = build_relay(runtime)
    await relay.relay_once()
    consumer = build_consumer(runtime, probe_handlers(applied))  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    deadline = time.monotonic() + 20
    while await dead_letters(redis, namespace) == 0:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    stop.set()
    await task
    [(_, record)] = await redis.xrange(f"{namespace}.dead-letters.probe")
    assert record[b"reason"] == b"max-deliveries"
    assert b"cannot apply poison pill" in record[b"error"]
    assert record[b"deliveries"] == b"3"
    assert await redis.hlen(f"{namespace}.failures.probe") == 0  # forgotten with the dead letter


# --- slow batches and gone consumers ---------------------------------------------------------------


async def test_a_batch_slower_than_the_reclaim_idle_time_is_not_reclaimed_by_anyone(
    probe_on: tuple[ServiceRuntime, object], namespace: str, redis: Redis
) -> None:
    runtime, applied = probe_on
    base = probe_handlers(applied)  # type: ignore[arg-type]
    deliveries_seen: list[int] = []

    async def slow(ctx: EventContext, event: EntrySubmitted) -> None:
        await asyncio.sleep(1.0)  # five reclaim idle times
        [pending] = await redis.xpending_range(stream(namespace), "probe", min="-", max="+", count=10)
        deliveries_seen.append(int(pending["times_delivered"]))
        await base[EntrySubmitted](ctx, event)

    handlers: dict[type[Event], object] = {EntrySubmitted: slow}
    await stage_and_publish(runtime, 1)
    consumers = [build_consumer(runtime, handlers) for _ in range(2)]  # type: ignore[arg-type]
    seen = await consume_until(consumers, runtime, applied, 1)
    assert list(seen.values()) == [1]
    assert deliveries_seen == [1], "the message in work was reclaimed"


async def test_consumers_gone_with_nothing_pending_leave_the_group(
    redis_url: str, namespace: str, redis: Redis, tmp_path: Path
) -> None:
    runtime, applied = probe_runtime(
        f"sqlite+aiosqlite:///{tmp_path}/probe.db", redis_url, namespace, **FAST, forget_consumers_after_s=0.2
    )
    await runtime.open()
    try:
        await stage_and_publish(runtime, 2)
        consumer = build_consumer(runtime, probe_handlers(applied))
        await consumer.ensure_groups()
        await redis.xreadgroup("probe", "holding", {stream(namespace): ">"}, count=1)
        await redis.xreadgroup("probe", "idle-reader", {stream(namespace): "0"}, count=1)  # nothing pending
        await asyncio.sleep(0.4)
        forgotten = await consumer.forget_gone_consumers(stream(namespace))
        assert forgotten == ["idle-reader"]
        names = {c["name"] for c in await redis.xinfo_consumers(stream(namespace), "probe")}
        assert names == {b"holding"}
    finally:
        await runtime.close()


# --- Redis restarting ------------------------------------------------------------------------------


@pytest.mark.parametrize("appendonly", [False, True], ids=["redis-empty", "redis-with-aof"])
async def test_what_a_restarted_redis_lost_is_published_again_and_applied_once(
    tmp_path: Path, namespace: str, appendonly: bool
) -> None:
    server = RedisServer(tmp_path / "redis", appendonly=appendonly, appendfsync="everysec").start()
    runtime, applied = probe_runtime(
        f"sqlite+aiosqlite:///{tmp_path}/probe.db", server.url, namespace, **FAST
    )
    await runtime.open()
    try:
        relay = build_relay(runtime)
        assert await relay.check_redis() == 0  # a first start with nothing sent
        consumer = build_consumer(runtime, probe_handlers(applied))
        await consumer.ensure_groups()
        await stage_and_publish(runtime, 5, "read before")
        assert len(await consume_until([consumer], runtime, applied, 5)) == 5
        await stage_and_publish(runtime, 20, "unread")
        assert await relay.check_redis() == 0  # same Redis: nothing to do
        server.kill()
        server.start()
        with pytest.raises(RedisConnectionError):  # the pool's connection died with the server
            await relay.check_redis()
        requeued = await relay.check_redis()
        # empty: every kept row; with AOF: what was sent within the window before the restart
        assert requeued == 25
        assert await relay.check_redis() == 0
        while await relay.relay_once():
            pass
        seen = await consume_until([build_consumer(runtime, probe_handlers(applied))], runtime, applied, 25)
        assert len(seen) == 25 and set(seen.values()) == {1}
    finally:
        await runtime.close()
        server.stop()


async def test_a_relay_notices_a_redis_restart_on_its_own_and_publishes_again(
    tmp_path: Path, namespace: str
) -> None:
    server = RedisServer(tmp_path / "redis").start()
    runtime, applied = probe_runtime(
        f"sqlite+aiosqlite:///{tmp_path}/probe.db", server.url, namespace, **FAST, redis_check_interval_s=0.1
    )
    await runtime.open()
    stop = asyncio.Event()
    relay_task = asyncio.create_task(build_relay(runtime).run(stop))
    try:
        async with runtime.sessions() as session, session.begin():
            await runtime.outbox.add_all(session, [entry(f"unread {i}") for i in range(10)])
        check = Redis.from_url(server.url)
        deadline = time.monotonic() + 10
        while await check.xlen(stream(namespace)) < 10:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        await check.aclose()
        server.kill()
        server.start()  # empty
        seen = await consume_until([build_consumer(runtime, probe_handlers(applied))], runtime, applied, 10)
        assert len(seen) == 10 and set(seen.values()) == {1}
    finally:
        stop.set()
        await relay_task
        await runtime.close()
        server.stop()
