"""Each attempt at sending is in the database before the channel is called, and its outcome is there
before the next message takes its place: a dispatcher that dies resends at most the messages it had
in flight, and every resend is an attempt of its own in the log."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from service_kit import (
    consumer_for,
    contest_announced,
    deliver,
    entry_submitted,
    open_service,
    settings_for,
    wrap,
)
from sqlmodel import col, select

from notifications.adapters.tables import DeliveryAttemptRow, DeliveryRow
from notifications.bootstrap import Notifications
from notifications.channels import Channel, DeliveryReceipt, OutgoingMessage

from ..own_postgres import PostgresCluster, available

Inspect = Callable[[OutgoingMessage], Coroutine[Any, Any, None]]


class InspectingChannel(Channel):
    """Looks at the database, through a connection of its own, each time it is asked to send."""

    name = "file"

    def __init__(self, inspect: Inspect) -> None:
        self.inspect = inspect
        self.sent: list[uuid.UUID] = []

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        await self.inspect(message)
        await asyncio.sleep(0.002)
        self.sent.append(message.delivery_id)
        return DeliveryReceipt(provider_id=f"inspected:{message.delivery_id}")


@pytest.fixture
async def service(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[Notifications]:
    service = await open_service(settings_for(database_url, redis_url, namespace, tmp_path))
    yield service
    await service.runtime.close()


async def submitted(service: Notifications, namespace: str, entries: int) -> None:
    """`entries` entries of two authors each: two deliveries an entry."""
    contest = uuid.uuid4()
    events = [wrap(entry_submitted(contest, title=f"Проект {i}")) for i in range(entries)]
    await deliver(consumer_for(service), namespace, wrap(contest_announced(contest)), *events)


async def deliveries(service: Notifications) -> dict[uuid.UUID, DeliveryRow]:
    async with service.runtime.sessions() as session:
        return {r.id: r for r in (await session.execute(select(DeliveryRow))).scalars()}


async def attempts_of(service: Notifications, delivery_id: uuid.UUID) -> list[DeliveryAttemptRow]:
    async with service.runtime.sessions() as session:
        found = await session.execute(
            select(DeliveryAttemptRow)
            .where(DeliveryAttemptRow.delivery_id == delivery_id)
            .order_by(col(DeliveryAttemptRow.number))
        )
        return list(found.scalars())


async def test_the_attempt_is_committed_before_the_channel_is_called(
    service: Notifications, namespace: str
) -> None:
    await submitted(service, namespace, 1)
    seen: list[tuple[str, int, bool, list[tuple[int, str | None]]]] = []

    async def inspect(message: OutgoingMessage) -> None:
        row = (await deliveries(service))[message.delivery_id]
        attempts = [(a.number, a.outcome) for a in await attempts_of(service, message.delivery_id)]
        seen.append((row.status, row.attempts, row.last_attempt_at is not None, attempts))

    await service.dispatcher({"file": InspectingChannel(inspect)}).dispatch_once()
    assert seen == [("sending", 1, True, [(1, None)])] * 2
    after = await deliveries(service)
    assert {(r.status, r.attempts) for r in after.values()} == {("sent", 1)}
    for delivery_id, row in after.items():
        [attempt] = await attempts_of(service, delivery_id)
        assert (attempt.outcome, attempt.number, attempt.provider_id) == ("sent", 1, row.provider_id)
        assert attempt.finished_at is not None


async def test_each_outcome_is_committed_before_the_next_message_is_sent(
    service: Notifications, namespace: str
) -> None:
    await submitted(service, namespace, 4)
    channel: InspectingChannel
    unconcluded: list[list[uuid.UUID]] = []

    async def inspect(message: OutgoingMessage) -> None:
        rows = await deliveries(service)
        unconcluded.append([i for i in channel.sent if rows[i].status != "sent"])

    channel = InspectingChannel(inspect)
    dispatcher = service.dispatcher({"file": channel})
    dispatcher.concurrency, dispatcher.batch_size = 1, 3
    assert await dispatcher.drain() == 8
    assert len(channel.sent) == 8 and unconcluded == [[]] * 8


async def test_no_more_messages_await_their_outcome_than_the_concurrency_allows(
    service: Notifications, namespace: str
) -> None:
    await submitted(service, namespace, 15)
    in_the_air: list[int] = []

    async def inspect(message: OutgoingMessage) -> None:
        rows = await deliveries(service)
        in_the_air.append(sum(r.status == "sending" for r in rows.values()))

    dispatcher = service.dispatcher({"file": InspectingChannel(inspect)})
    dispatcher.concurrency, dispatcher.batch_size = 3, 4
    assert await dispatcher.drain() == 30
    assert len(in_the_air) == 30 and max(in_the_air) <= 3
    assert {r.status for r in (await deliveries(service)).values()} == {"sent"}


class Stalling(Channel):
    """Accepts a message and never answers: the dispatcher calling it is then stopped, as by kill -9."""

    name = "file"

    def __init__(self) -> None:
        self.received: list[uuid.UUID] = []
        self.arrived = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        self.received.append(message.delivery_id)
        self.arrived.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_send_cut_short_is_an_attempt_of_unknown_outcome_and_its_resend_another(
    service: Notifications, namespace: str
) -> None:
    await submitted(service, namespace, 1)
    stalling = Stalling()
    first = service.dispatcher({"file": stalling})
    first.name, first.concurrency, first.lease = "first", 1, first.lease / 600  # 0.1 s
    cut_short = asyncio.create_task(first.dispatch_once())
    await asyncio.wait_for(stalling.arrived.wait(), 10)
    cut_short.cancel()  # the dispatcher dies with the message sent and its outcome unknown
    with pytest.raises(asyncio.CancelledError):
        await cut_short
    [stalled] = stalling.received
    row = (await deliveries(service))[stalled]
    assert (row.status, row.attempts) == ("sending", 1)
    assert [(a.number, a.outcome, a.dispatcher) for a in await attempts_of(service, stalled)] == [
        (1, None, "first")
    ]

    await asyncio.sleep(0.2)  # the first dispatcher's lease runs out
    resent: list[uuid.UUID] = []

    async def note(message: OutgoingMessage) -> None:
        resent.append(message.delivery_id)

    second = service.dispatcher({"file": InspectingChannel(note)})
    second.name = "second"
    while await second.dispatch_once():
        pass
    assert resent.count(stalled) == 1
    row = (await deliveries(service))[stalled]
    assert (row.status, row.attempts) == ("sent", 2)
    log = [(a.number, a.outcome, a.dispatcher) for a in await attempts_of(service, stalled)]
    assert log == [(1, None, "first"), (2, "sent", "second")]


async def test_a_database_that_goes_away_during_a_send_gets_the_outcome_when_it_is_back(
    redis_url: str, namespace: str, tmp_path: Path
) -> None:
    """The message is sent once: its outcome waits for the database instead of being lost with it."""
    if not available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but initdb/pg_ctl are not found")
        pytest.skip("initdb/pg_ctl not found: no PostgreSQL cluster of the test's own")
    cluster = PostgresCluster().start()
    try:
        url = cluster.create_database("notifications")
        service = await open_service(settings_for(url, redis_url, namespace, tmp_path))
        try:
            await submitted(service, namespace, 1)

            stopped: list[uuid.UUID] = []

            async def outage(message: OutgoingMessage) -> None:
                if not stopped:  # the first message goes out while the database is down
                    stopped.append(message.delivery_id)
                    cluster.stop("immediate")

            channel = InspectingChannel(outage)
            dispatcher = service.dispatcher({"file": channel})
            dispatcher.concurrency = 1
            sending = asyncio.create_task(dispatcher.dispatch_once())
            await asyncio.sleep(2.0)
            assert not sending.done(), "the dispatcher gave the outcome up"
            cluster.start()
            assert await asyncio.wait_for(sending, 60) == 2
            rows = await deliveries(service)
            assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}
            assert sorted(channel.sent) == sorted(rows)  # each sent once
        finally:
            await service.runtime.close()
    finally:
        cluster.remove()
