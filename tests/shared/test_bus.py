"""The bus's guarantees, against a real Redis, on SQLite and PostgreSQL: every committed event is
delivered at least once and applied exactly once; failures end in dead letters, never in a stall."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from sqlalchemy import Table, select, update

from kaleidoscope_shared.bus.consumer import StreamConsumer
from kaleidoscope_shared.bus.dead_letters import list_dead_letters, replay_dead_letters
from kaleidoscope_shared.bus.relay import OutboxRelay
from kaleidoscope_shared.bus.tables import OUTBOX_SENT
from kaleidoscope_shared.contracts import EntrySubmitted, Envelope
from kaleidoscope_shared.observability.logging import configure_logging, get_logger
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.worker import build_consumer, build_relay

from ..polling import eventually
from .probe import POISON, applications, entry, probe_handlers, probe_runtime

FAST = {"reclaim_idle_ms": 200, "reclaim_interval_s": 0.1, "max_deliveries": 3, "consumer_block_ms": 100}


@dataclass
class Probe:
    runtime: ServiceRuntime
    applied: Table

    def consumer(self) -> StreamConsumer:
        return build_consumer(self.runtime, probe_handlers(self.applied))

    def relay(self) -> OutboxRelay:
        return build_relay(self.runtime)

    async def stage(self, titles: list[str]) -> list[Envelope]:
        async with self.runtime.sessions() as session, session.begin():
            return [await self.runtime.outbox.add(session, entry(title)) for title in titles]

    async def relay_all(self) -> None:
        relay = self.relay()
        while await relay.relay_once():
            pass


@pytest.fixture
async def probe(database_url: str, redis_url: str, namespace: str, redis: Redis) -> AsyncIterator[Probe]:
    runtime, applied = probe_runtime(database_url, redis_url, namespace, **FAST)
    await runtime.open()
    yield Probe(runtime, applied)
    await runtime.close()


async def run_until(
    consumers: list[StreamConsumer], done: Callable[[], Awaitable[bool]], timeout: float = 20.0
) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(c.run(stop)) for c in consumers]
    try:
        deadline = time.monotonic() + timeout
        while not await done():
            assert time.monotonic() < deadline, "the consumers did not finish in time"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def pending(redis: Redis, probe: Probe) -> int:
    summary = await redis.xpending(EntrySubmitted.stream(probe.runtime.settings.bus_namespace), "probe")
    return int(summary["pending"])


async def test_every_committed_event_is_applied_exactly_once(probe: Probe, redis: Redis) -> None:
    staged = await probe.stage([f"entry {i}" for i in range(250)])
    await probe.relay_all()

    async def all_applied() -> bool:
        return len(await applications(probe.runtime, probe.applied)) == len(staged)

    await run_until([probe.consumer()], all_applied)
    counts = await applications(probe.runtime, probe.applied)
    assert set(counts) == {str(e.event_id) for e in staged}
    assert set(counts.values()) == {1}
    assert await pending(redis, probe) == 0


async def test_an_event_published_twice_is_applied_once(probe: Probe, redis: Redis) -> None:
    staged = await probe.stage(["once", "twice"])
    await probe.relay_all()
    async with probe.runtime.sessions() as session, session.begin():  # as if the relay died before mark-sent
        await session.execute(update(probe.runtime.tables.outbox).values(status="pending"))
    await probe.relay_all()
    stream = EntrySubmitted.stream(probe.runtime.settings.bus_namespace)
    assert await redis.xlen(stream) == 4

    async def drained() -> bool:
        return len(await applications(probe.runtime, probe.applied)) == 2 and await pending(redis, probe) == 0

    await run_until([probe.consumer()], drained)
    await asyncio.sleep(0.2)
    assert await applications(probe.runtime, probe.applied) == {str(e.event_id): 1 for e in staged}


async def test_a_relay_that_dies_before_marking_sent_is_taken_over_after_its_lease(
    probe: Probe, redis: Redis
) -> None:
    staged = await probe.stage(["a", "b", "c"])
    dying = probe.relay()

    async def crash(_rows: object) -> None:
        raise SystemExit("killed between publish and mark-sent")

    dying._mark_sent = crash  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        await dying.relay_once()
    assert await probe.relay().relay_once() == 0, "a live lease must not be taken over"
    async with probe.runtime.sessions() as session, session.begin():  # the lease runs out
        await session.execute(update(probe.runtime.tables.outbox).values(claimed_until=_past()))
    assert await probe.relay().relay_once() == 3

    async def drained() -> bool:
        return len(await applications(probe.runtime, probe.applied)) == 3 and await pending(redis, probe) == 0

    await run_until([probe.consumer()], drained)
    assert await applications(probe.runtime, probe.applied) == {str(e.event_id): 1 for e in staged}
    async with probe.runtime.sessions() as session:
        statuses = (await session.execute(select(probe.runtime.tables.outbox.c.status))).scalars().all()
    assert set(statuses) == {OUTBOX_SENT}


def _past() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=1)


async def test_a_poison_event_ends_in_dead_letters_and_the_others_keep_flowing(
    probe: Probe, redis: Redis
) -> None:
    staged = await probe.stage(["before", f"{POISON} pill", "after"])
    await probe.relay_all()
    namespace = probe.runtime.settings.bus_namespace

    async def settled() -> bool:
        letters = await list_dead_letters(redis, namespace, "probe")
        return len(letters) == 1 and await pending(redis, probe) == 0

    await run_until([probe.consumer()], settled)
    counts = await applications(probe.runtime, probe.applied)
    assert counts == {str(staged[0].event_id): 1, str(staged[2].event_id): 1}
    [letter] = await list_dead_letters(redis, namespace, "probe")
    assert letter.reason == "max-deliveries"
    assert letter.deliveries == FAST["max_deliveries"]
    assert f"cannot apply {POISON} pill" in letter.error
    assert json.loads(letter.envelope)["event_id"] == str(staged[1].event_id)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "malformed"),
        (b'{"type": "entry-submitted", "version": 1}', "malformed"),
        (None, "unknown-event"),
    ],
)
async def test_a_malformed_or_unknown_event_is_dead_lettered_at_once_with_a_reason(
    probe: Probe, redis: Redis, body: bytes | None, reason: str
) -> None:
    namespace = probe.runtime.settings.bus_namespace
    stream = EntrySubmitted.stream(namespace)
    if body is None:  # a well-formed envelope of a version nobody knows
        [good] = await probe.stage(["future"])
        body = good.model_copy(update={"version": 9}).model_dump_json().encode()
        async with probe.runtime.sessions() as session, session.begin():
            await session.execute(update(probe.runtime.tables.outbox).values(status=OUTBOX_SENT))
    await redis.xadd(stream, {"envelope": body})
    [ok] = await probe.stage(["fine"])
    await probe.relay_all()

    async def settled() -> bool:
        return (
            len(await list_dead_letters(redis, namespace, "probe")) == 1 and await pending(redis, probe) == 0
        )

    await run_until([probe.consumer()], settled)
    [letter] = await list_dead_letters(redis, namespace, "probe")
    assert letter.reason == reason
    assert letter.deliveries == 1
    assert await applications(probe.runtime, probe.applied) == {str(ok.event_id): 1}


async def test_a_dead_letter_replayed_after_a_fix_is_applied_once(probe: Probe, redis: Redis) -> None:
    await probe.stage([f"{POISON} then fixed"])
    await probe.relay_all()
    namespace = probe.runtime.settings.bus_namespace

    async def dead() -> bool:
        return len(await list_dead_letters(redis, namespace, "probe")) == 1

    await run_until([probe.consumer()], dead)
    replayed = await replay_dead_letters(redis, namespace, "probe")
    assert len(replayed) == 1
    assert await list_dead_letters(redis, namespace, "probe") == []
    consumer = probe.consumer()
    consumer._handlers[EntrySubmitted] = _accept_all(probe)  # the fix is deployed

    async def applied() -> bool:
        return len(await applications(probe.runtime, probe.applied)) == 1

    await run_until([consumer], applied)


def _accept_all(probe: Probe):  # type: ignore[no-untyped-def]
    async def record(ctx, event):  # type: ignore[no-untyped-def]
        await ctx.session.execute(
            probe.applied.insert().values(event_id=str(ctx.envelope.event_id), title=event.title)
        )

    return record


async def test_a_dead_consumers_pending_messages_are_reclaimed_by_a_live_one(
    probe: Probe, redis: Redis
) -> None:
    staged = await probe.stage([f"e{i}" for i in range(20)])
    await probe.relay_all()
    namespace = probe.runtime.settings.bus_namespace
    stream = EntrySubmitted.stream(namespace)
    live = probe.consumer()
    await live.ensure_groups()
    taken = await redis.xreadgroup("probe", "probe-dead-replica", {stream: ">"}, count=20)  # then it dies
    assert len(taken[0][1]) == 20

    async def drained() -> bool:
        return (
            len(await applications(probe.runtime, probe.applied)) == 20 and await pending(redis, probe) == 0
        )

    await run_until([live], drained)
    assert set((await applications(probe.runtime, probe.applied)).values()) == {1}
    assert len(staged) == 20


async def test_a_group_that_vanishes_is_recreated_and_nothing_is_skipped(probe: Probe, redis: Redis) -> None:
    namespace = probe.runtime.settings.bus_namespace
    stream = EntrySubmitted.stream(namespace)
    consumer = probe.consumer()
    await probe.stage(["first"])
    await probe.relay_all()
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await eventually(lambda: _count_is(probe, 1), 15, what="the first entry applied")
        await redis.delete(stream)  # as if Redis came back empty
        await probe.stage(["second", "third"])
        await probe.relay_all()
        await eventually(lambda: _count_is(probe, 3), 15, what="every entry applied")
    finally:
        stop.set()
        await task


async def _count_is(probe: Probe, expected: int) -> bool:
    return sum((await applications(probe.runtime, probe.applied)).values()) == expected


async def test_relays_racing_on_one_outbox_publish_every_row_once(probe: Probe, redis: Redis) -> None:
    staged = await probe.stage([f"race {i}" for i in range(2000)])
    relays = [probe.relay() for _ in range(3)]

    async def drain(relay: OutboxRelay) -> None:
        while await relay.relay_once():
            await asyncio.sleep(0)

    await asyncio.gather(*(drain(relay) for relay in relays))
    stream = EntrySubmitted.stream(probe.runtime.settings.bus_namespace)
    published = [json.loads(fields[b"envelope"])["event_id"] for _id, fields in await redis.xrange(stream)]
    assert len(published) == 2000
    assert set(published) == {str(e.event_id) for e in staged}


async def test_handlers_log_json_with_the_event_and_correlation_ids_and_metrics_count_them(
    probe: Probe, redis: Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("probe", "INFO", "json")
    logger = get_logger("probe")
    consumer = probe.consumer()
    original = consumer._handlers[EntrySubmitted]

    async def logging_handler(ctx, event):  # type: ignore[no-untyped-def]
        logger.info("probe.applied", title=event.title)
        await original(ctx, event)

    consumer._handlers[EntrySubmitted] = logging_handler
    labels = {"group": "probe", "type": EntrySubmitted.event_type, "outcome": "applied"}
    before = REGISTRY.get_sample_value("kaleidoscope_events_consumed_total", labels) or 0
    [staged] = await probe.stage(["logged"])
    await probe.relay_all()

    async def applied() -> bool:
        return len(await applications(probe.runtime, probe.applied)) == 1

    await run_until([consumer], applied)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"probe.applied"' in line]
    assert len(lines) == 1
    assert lines[0]["event_id"] == str(staged.event_id)
    assert lines[0]["correlation_id"] == str(staged.correlation_id)
    assert REGISTRY.get_sample_value("kaleidoscope_events_consumed_total", labels) == before + 1
