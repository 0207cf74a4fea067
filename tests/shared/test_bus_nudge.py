"""The relay is woken by a nudge after an outbox commit, and its slow poll still finds what a lost nudge
would have left behind; a quiet consumer costs one request per reclaim round. Real Redis, both databases."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from kaleidoscope_shared.bus.nudge import nudge_channel
from kaleidoscope_shared.contracts import EntrySubmitted, EntryWithdrawn, SubmissionsClosed
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.worker import build_consumer, build_relay

from ..polling import eventually
from .probe import entry, probe_handlers, probe_runtime

SLOW_POLL = {"relay_poll_interval_s": 30.0}
"""A safety-net poll too slow to matter within a test: only a nudge can make the relay publish."""


@pytest.fixture
async def producer(database_url: str, redis_url: str, namespace: str) -> AsyncIterator[ServiceRuntime]:
    """The process that commits events (an API, say)."""
    runtime, _ = probe_runtime(database_url, redis_url, namespace, **SLOW_POLL)
    await runtime.open()
    yield runtime
    await runtime.close()


async def stage(runtime: ServiceRuntime, title: str) -> None:
    async with runtime.sessions() as session, session.begin():
        await runtime.outbox.add(session, entry(title))


async def published(redis: Redis, namespace: str) -> list[str]:
    stream = EntrySubmitted.stream(namespace)
    return [json.loads(fields[b"envelope"])["payload"]["title"] for _id, fields in await redis.xrange(stream)]


async def running_relay(runtime: ServiceRuntime, stop: asyncio.Event) -> asyncio.Task[None]:
    relay = build_relay(runtime)
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0.3)  # subscribed, its first claim done
    return task


async def test_a_commit_in_another_process_wakes_the_relay_at_once(
    producer: ServiceRuntime, database_url: str, redis_url: str, namespace: str, redis: Redis
) -> None:
    worker, _ = probe_runtime(database_url, redis_url, namespace, **SLOW_POLL)  # the worker's own clients
    await worker.open()
    stop = asyncio.Event()
    task = await running_relay(worker, stop)
    try:
        for title in ("first", "second", "third"):
            started = time.monotonic()
            await stage(producer, title)
            await eventually(
                lambda t=title: _published_has(redis, namespace, t), 5, what=f"{title} published"
            )
            assert time.monotonic() - started < 2.0  # the poll would have taken 30 s
    finally:
        stop.set()
        await task
        await worker.close()


async def _published_has(redis: Redis, namespace: str, title: str) -> bool:
    return title in await published(redis, namespace)


async def nudges_during(redis_url: str, channel: str, action: Any) -> int:
    """How many nudges arrive on `channel` while `action()` runs (and shortly after)."""
    listener = Redis.from_url(redis_url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=0.5)  # the subscription's confirmation
    try:
        await action()
        count = 0
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            if await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1):
                count += 1
        return count
    finally:
        await pubsub.aclose()
        await listener.aclose()


async def test_only_a_committed_transaction_with_outbox_rows_nudges_and_only_after_its_commit(
    producer: ServiceRuntime, redis_url: str, namespace: str
) -> None:
    async def rolled_back() -> None:
        async with producer.sessions() as session, session.begin():
            await producer.outbox.add(session, entry("never"))
            await session.rollback()

    async def without_events() -> None:
        async with producer.sessions() as session, session.begin():
            await session.execute(select(1))

    channel = nudge_channel(namespace, "probe")
    assert await nudges_during(redis_url, channel, rolled_back) == 0
    assert await nudges_during(redis_url, channel, without_events) == 0

    listener = Redis.from_url(redis_url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=0.5)
    try:
        async with producer.sessions() as session, session.begin():
            async with session.begin_nested():
                await producer.outbox.add(session, entry("in a savepoint"))
            # the savepoint is released, the transaction still open: not committed, no nudge
            assert await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.3) is None
        assert await pubsub.get_message(ignore_subscribe_messages=True, timeout=2.0) is not None
    finally:
        await pubsub.aclose()
        await listener.aclose()


async def test_commits_made_while_a_nudge_waits_to_be_sent_share_it(
    producer: ServiceRuntime, redis_url: str, namespace: str
) -> None:
    nudge = producer.outbox.nudge
    assert nudge is not None

    async def burst() -> None:  # twenty commits within one turn of the event loop
        for _ in range(20):
            nudge.committed()
        await asyncio.sleep(0.1)
        nudge.committed()  # after the first one went out: a nudge of its own

    assert await nudges_during(redis_url, nudge_channel(namespace, "probe"), burst) == 2


async def test_rows_whose_nudge_was_lost_are_published_by_the_safety_net_poll(
    database_url: str, redis_url: str, namespace: str, redis: Redis
) -> None:
    silent, _ = probe_runtime(database_url, redis_url, namespace, relay_nudge=False)  # commits, never nudges
    worker, _ = probe_runtime(database_url, redis_url, namespace, relay_poll_interval_s=0.5)
    await silent.open()
    await worker.open()
    stop = asyncio.Event()
    task = await running_relay(worker, stop)
    try:
        started = time.monotonic()
        await stage(silent, "unannounced")
        await eventually(
            lambda: _published_has(redis, namespace, "unannounced"), 5, what="published by the poll"
        )
        assert time.monotonic() - started >= 0.05
    finally:
        stop.set()
        await task
        await worker.close()
        await silent.close()


async def test_a_relay_whose_subscription_is_cut_subscribes_again_and_is_nudged_again(
    producer: ServiceRuntime, database_url: str, redis_url: str, namespace: str, redis: Redis
) -> None:
    worker, _ = probe_runtime(database_url, redis_url, namespace, **SLOW_POLL)
    await worker.open()
    stop = asyncio.Event()
    task = await running_relay(worker, stop)
    try:
        channel = nudge_channel(namespace, "probe").encode()
        assert (await redis.pubsub_numsub(channel))[0][1] == 1
        await redis.client_kill_filter(_type="pubsub")  # every subscriber's connection, as a restart would
        await eventually(lambda: _subscribers(redis, channel, 1), 10, what="subscribed again")
        started = time.monotonic()
        await stage(producer, "after the cut")
        await eventually(lambda: _published_has(redis, namespace, "after the cut"), 5, what="published")
        assert time.monotonic() - started < 2.0
    finally:
        stop.set()
        await task
        await worker.close()


async def _subscribers(redis: Redis, channel: bytes, count: int) -> bool:
    return bool((await redis.pubsub_numsub(channel))[0][1] == count)


async def test_events_emitted_by_a_handler_wake_the_relay_after_the_consumers_commit(
    database_url: str, redis_url: str, namespace: str, redis: Redis
) -> None:
    runtime, applied = probe_runtime(database_url, redis_url, namespace, **SLOW_POLL, consumer_block_ms=100)
    await runtime.open()

    async def record_and_emit(ctx: Any, event: EntrySubmitted) -> None:
        await probe_handlers(applied)[EntrySubmitted](ctx, event)
        await ctx.emit(
            EntryWithdrawn(
                entry_id=event.entry_id,
                contest_id=event.contest_id,
                revision=2,
                reason="emitted",
                withdrawn_at=event.submitted_at,
            )
        )

    stop = asyncio.Event()
    relay = await running_relay(runtime, stop)
    consumer = asyncio.create_task(build_consumer(runtime, {EntrySubmitted: record_and_emit}).run(stop))
    try:
        await stage(runtime, "causes a withdrawal")
        withdrawn = EntryWithdrawn.stream(namespace)
        await eventually(lambda: _length_is(redis, withdrawn, 1), 5, what="the emitted event published")
    finally:
        stop.set()
        await asyncio.gather(relay, consumer)
        await runtime.close()


async def _length_is(redis: Redis, stream: str, length: int) -> bool:
    return bool(await redis.exists(stream)) and await redis.xlen(stream) == length


class CountingRedis:
    """Counts the round trips a consumer makes: single commands and pipelines."""

    def __init__(self, redis: Redis) -> None:
        self.round_trips = 0
        self._redis = redis
        original_execute, original_pipeline = redis.execute_command, redis.pipeline

        async def execute_command(*args: Any, **options: Any) -> Any:
            self.round_trips += 1
            return await original_execute(*args, **options)

        def pipeline(*args: Any, **kwargs: Any) -> Any:
            pipe = original_pipeline(*args, **kwargs)
            original = pipe.execute

            async def execute(*a: Any, **k: Any) -> Any:
                self.round_trips += 1
                return await original(*a, **k)

            pipe.execute = execute  # type: ignore[method-assign]
            return pipe

        redis.execute_command = execute_command  # type: ignore[method-assign]
        redis.pipeline = pipeline  # type: ignore[method-assign]


async def test_a_quiet_consumer_makes_one_round_trip_per_reclaim_round_whatever_its_streams(
    database_url: str, redis_url: str, namespace: str
) -> None:
    runtime, applied = probe_runtime(database_url, redis_url, namespace, consumer_measure_interval_s=60)
    await runtime.open()
    try:
        handlers = probe_handlers(applied)
        noop = handlers[EntrySubmitted]
        consumer = build_consumer(
            runtime, {EntrySubmitted: noop, EntryWithdrawn: noop, SubmissionsClosed: noop}
        )
        await consumer.ensure_groups()
        await consumer.reclaim_once()  # the first round sets the gauges and forgets gone consumers
        counting = CountingRedis(runtime.redis)
        for _ in range(3):
            assert await consumer.reclaim_once() == 0
        assert counting.round_trips == 3
    finally:
        await runtime.close()
