"""Storage that does not grow without bound, against a real Redis, on SQLite and PostgreSQL: the
producer's relay trims its streams to what every consumer group still needs (never entries younger
than the retention), and each consumer prunes its inbox after the dedup window."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError
from redis.asyncio import Redis
from sqlalchemy import Table, func, insert, select

from kaleidoscope_shared.bus.consumer import StreamConsumer
from kaleidoscope_shared.bus.relay import OutboxRelay
from kaleidoscope_shared.contracts import EntrySubmitted
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.settings import ServiceSettings
from kaleidoscope_shared.worker import build_consumer, build_relay

from .probe import entry, probe_handlers, probe_runtime


@pytest.fixture
async def probe(
    database_url: str, redis_url: str, namespace: str, redis: Redis
) -> AsyncIterator[tuple[ServiceRuntime, Table]]:
    runtime, applied = probe_runtime(database_url, redis_url, namespace, stream_retention_s=0)
    await runtime.open()
    yield runtime, applied
    await runtime.close()


def relay_of(runtime: ServiceRuntime, retention_s: float | None = 0) -> OutboxRelay:
    relay = build_relay(runtime)
    relay._settings = dataclasses.replace(relay._settings, stream_retention_s=retention_s)
    return relay


async def publish(runtime: ServiceRuntime, count: int) -> list[bytes]:
    """`count` events staged and relayed; their stream entry ids, oldest first."""
    async with runtime.sessions.begin() as session:
        await runtime.outbox.add_all(session, [entry(f"entry {i}") for i in range(count)])
    relay = build_relay(runtime)
    while await relay.relay_once():
        pass
    stream = EntrySubmitted.stream(runtime.settings.bus_namespace)
    return [message_id for message_id, _ in await runtime.redis.xrange(stream)]


def trimmed_total(producer: str) -> float:
    value = REGISTRY.get_sample_value(
        "kaleidoscope_stream_entries_trimmed_total", {"producer": producer, "event_type": "entry-submitted"}
    )
    return value or 0.0


async def test_a_stream_is_trimmed_to_the_oldest_entry_a_group_still_needs(
    probe: tuple[ServiceRuntime, Table],
) -> None:
    runtime, _ = probe
    redis, stream = runtime.redis, EntrySubmitted.stream(runtime.settings.bus_namespace)
    await redis.xgroup_create(stream, "ahead", id="0", mkstream=True)
    await redis.xgroup_create(stream, "behind", id="0", mkstream=True)
    ids = await publish(runtime, 10)
    assert len(ids) == 10
    # "ahead" read and acknowledged everything; "behind" read five and acknowledged the first two
    read: Any = await redis.xreadgroup("ahead", "c", {stream: ">"}, count=100)
    await redis.xack(stream, "ahead", *[i for i, _ in read[0][1]])
    read = await redis.xreadgroup("behind", "c", {stream: ">"}, count=5)
    await redis.xack(stream, "behind", *[i for i, _ in read[0][1][:2]])
    before = trimmed_total("probe")

    removed = await relay_of(runtime).trim_streams({stream})

    assert removed == {stream: 2}
    assert [i for i, _ in await redis.xrange(stream)] == ids[2:]
    assert trimmed_total("probe") - before == 2
    # "behind" still has its three pending entries and the five it has not read
    pending: Any = await redis.xpending_range(stream, "behind", min="-", max="+", count=10)
    assert [p["message_id"] for p in pending] == ids[2:5]
    unread: Any = await redis.xreadgroup("behind", "c", {stream: ">"}, count=100)
    assert [i for i, _ in unread[0][1]] == ids[5:]
    await redis.xack(stream, "behind", *ids[2:])

    # every group has acknowledged everything: the stream keeps its last delivered entry
    assert await relay_of(runtime).trim_streams({stream}) == {stream: 7}
    assert [i for i, _ in await redis.xrange(stream)] == ids[9:]


async def test_entries_younger_than_the_retention_are_kept_whatever_the_groups_have_read(
    probe: tuple[ServiceRuntime, Table],
) -> None:
    runtime, _ = probe
    redis, stream = runtime.redis, EntrySubmitted.stream(runtime.settings.bus_namespace)
    await redis.xgroup_create(stream, "reader", id="0", mkstream=True)
    ids = await publish(runtime, 5)
    read: Any = await redis.xreadgroup("reader", "c", {stream: ">"}, count=100)
    await redis.xack(stream, "reader", *[i for i, _ in read[0][1]])

    assert await relay_of(runtime, retention_s=3600).trim_streams({stream}) == {}
    assert await relay_of(runtime, retention_s=None).trim_streams({stream}) == {}
    assert [i for i, _ in await redis.xrange(stream)] == ids
    # a group created now, within the retention, still reads every event from the start
    await redis.xgroup_create(stream, "late", id="0")
    late: Any = await redis.xreadgroup("late", "c", {stream: ">"}, count=100)
    assert [i for i, _ in late[0][1]] == ids


async def test_the_relays_pruning_pass_trims_the_streams_it_produces_and_a_consumer_still_gets_all(
    probe: tuple[ServiceRuntime, Table],
) -> None:
    runtime, applied = probe
    consumer: StreamConsumer = build_consumer(runtime, probe_handlers(applied))
    await consumer.ensure_groups()
    stream = EntrySubmitted.stream(runtime.settings.bus_namespace)
    await publish(runtime, 30)
    read: Any = await runtime.redis.xreadgroup(consumer.settings.group, "c", {stream: ">"}, count=20)
    messages = [(stream, i, f) for i, f in read[0][1]]
    await consumer.handle_messages(messages)

    await relay_of(runtime).prune_and_measure()

    assert len(await runtime.redis.xrange(stream)) == 11  # the last delivered and the ten unread
    rest: Any = await runtime.redis.xreadgroup(consumer.settings.group, "c", {stream: ">"}, count=100)
    await consumer.handle_messages([(stream, i, f) for i, f in rest[0][1]])
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(applied)) == 30


async def test_inbox_rows_older_than_the_window_are_pruned_and_only_the_groups_own(
    database_url: str, redis_url: str, namespace: str, redis: Redis
) -> None:
    runtime, applied = probe_runtime(database_url, redis_url, namespace, inbox_retention_s=7200)
    await runtime.open()
    try:
        consumer = build_consumer(runtime, probe_handlers(applied))
        assert consumer.settings.inbox_retention_s == 7200
        now = datetime.now(UTC)
        rows = [
            ("probe", now - timedelta(hours=3)),
            ("probe", now - timedelta(hours=2, minutes=1)),
            ("probe", now - timedelta(hours=1)),
            ("probe", now),
            ("other", now - timedelta(days=30)),
        ]
        inbox = runtime.tables.inbox
        async with runtime.sessions.begin() as session:
            await session.execute(
                insert(inbox),
                [
                    {
                        "consumer_group": g,
                        "event_id": str(uuid.uuid4()),
                        "event_type": "EntrySubmitted",
                        "processed_at": at,
                    }
                    for g, at in rows
                ],
            )
        before = REGISTRY.get_sample_value("kaleidoscope_inbox_rows_pruned_total", {"group": "probe"}) or 0.0

        assert await consumer.prune_inbox() == 2

        async with runtime.sessions() as session:
            kept = sorted(
                (g, at)
                for g, at in await session.execute(select(inbox.c.consumer_group, inbox.c.processed_at))
            )
        assert [g for g, _ in kept] == ["other", "probe", "probe"]
        assert all(at >= now - timedelta(hours=2) for g, at in kept if g == "probe")
        after = REGISTRY.get_sample_value("kaleidoscope_inbox_rows_pruned_total", {"group": "probe"})
        assert after == before + 2
        # the reclaim loop prunes on its first round
        await consumer.ensure_groups()
        async with runtime.sessions.begin() as session:
            await session.execute(
                insert(inbox),
                [
                    {
                        "consumer_group": "probe",
                        "event_id": "x",
                        "event_type": "E",
                        "processed_at": now - timedelta(days=1),
                    }
                ],
            )
        await consumer.reclaim_once()
        async with runtime.sessions() as session:
            assert (
                await session.scalar(select(func.count()).select_from(inbox).where(inbox.c.event_id == "x"))
                == 0
            )
    finally:
        await runtime.close()


def test_the_inbox_window_must_be_longer_than_the_outbox_replay() -> None:
    with pytest.raises(ValidationError, match=r"inbox_retention_s .* must be longer than outbox_retention_s"):
        ServiceSettings(service_name="probe", outbox_retention_s=3600, inbox_retention_s=3600)
    assert (
        ServiceSettings(service_name="probe").inbox_retention_s
        > ServiceSettings(service_name="probe").outbox_retention_s
    )
