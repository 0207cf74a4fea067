"""Sending committed deliveries: through the loaded channels, with documents attached, retried with
back-off until dead, announced on the bus, and never sent twice by racing dispatchers."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from service_kit import (
    ZAVODISKER,
    consumer_for,
    contest_announced,
    contest_finished,
    deliver,
    entry_submitted,
    open_service,
    settings_for,
    wrap,
)
from sqlmodel import select

from kaleidoscope_shared.contracts import Envelope
from notifications.adapters.tables import DeliveryRow, DeliveryValues, PreferenceRow
from notifications.bootstrap import Notifications
from notifications.channels import Channel, ChannelError, DeliveryReceipt, OutgoingMessage
from notifications.channels.file import FileChannel


class FlakyChannel(Channel):
    """Fails every send, as a mail server that is down would."""

    name = "flaky"

    def __init__(self) -> None:
        self.attempts = 0

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        self.attempts += 1
        raise ChannelError("connection refused", permanent=False)


class CountingChannel(Channel):
    name = "file"

    def __init__(self, seconds: float = 0.001) -> None:
        self.sent: Counter[uuid.UUID] = Counter()
        self.seconds = seconds
        self.in_flight = self.most_in_flight = 0

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.in_flight -= 1
        self.sent[message.delivery_id] += 1
        return DeliveryReceipt(provider_id=f"counted:{message.delivery_id}")


@pytest.fixture
async def service(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[Notifications]:
    service = await open_service(settings_for(database_url, redis_url, namespace, tmp_path))
    yield service
    await service.runtime.close()


async def rows(service: Notifications) -> list[DeliveryRow]:
    async with service.runtime.sessions() as session:
        return list((await session.execute(select(DeliveryRow).order_by(DeliveryRow.channel))).scalars())


async def outbox_events(service: Notifications) -> list[Envelope]:
    async with service.runtime.sessions() as session:
        found = await session.execute(select(service.runtime.tables.outbox.c.envelope))
        return [Envelope.model_validate_json(e) for e in found.scalars()]


async def drain(service: Notifications, channels: dict[str, Channel], rounds: int = 10) -> None:
    dispatcher = service.dispatcher(channels)
    for _ in range(rounds):
        await dispatcher.dispatch_once()


async def test_a_finished_contest_is_written_with_its_pdfs_and_announced_as_delivered(
    service: Notifications, namespace: str, tmp_path: Path
) -> None:
    contest, entry = uuid.uuid4(), uuid.uuid4()
    events = [contest_announced(contest), entry_submitted(contest, entry, authors=[ZAVODISKER])]
    await deliver(
        consumer_for(service),
        namespace,
        *[wrap(e) for e in events],
        wrap(contest_finished(contest, [entry], [])),
    )
    folder = tmp_path / "messages"
    await drain(service, {"file": FileChannel({"path": folder})})
    sent = await rows(service)
    assert {r.status for r in sent} == {"sent"} and len(sent) == 3  # received, finished, organiser's results
    finished = next(r for r in sent if r.kind == "contest_finished_participant")
    summary = json.loads((folder / f"{finished.id}.json").read_text())
    assert sorted(a["filename"] for a in summary["attachments"]) == [
        "Благодарственное письмо — Заводискер О. Ю.pdf",
        "Диплом участника — Заводискер О. Ю.pdf",
    ]
    assert len(list((tmp_path / "documents").glob("*.pdf"))) == 2
    delivered = [e for e in await outbox_events(service) if e.type == "notification-delivered"]
    assert sorted(e.payload["delivery_id"] for e in delivered) == sorted(str(r.id) for r in sent)


async def test_a_failing_channel_is_retried_then_dead_while_the_other_channel_delivers(
    service: Notifications, namespace: str, tmp_path: Path
) -> None:
    async with service.runtime.sessions() as session, session.begin():
        session.add(
            PreferenceRow(
                person_key=str(ZAVODISKER.email), channels=["file", "flaky"], updated_at=datetime.now(UTC)
            )
        )
    contest = uuid.uuid4()
    await deliver(
        consumer_for(service),
        namespace,
        wrap(contest_announced(contest)),
        wrap(entry_submitted(contest, authors=[ZAVODISKER])),
    )
    flaky = FlakyChannel()
    dispatcher = service.dispatcher({"file": FileChannel({"path": tmp_path / "m"}), "flaky": flaky})
    await dispatcher.dispatch_once()
    after_first = {r.channel: r for r in await rows(service)}
    assert after_first["file"].status == "sent"
    assert after_first["flaky"].status == "failed" and after_first["flaky"].attempts == 1
    assert after_first["flaky"].last_error == "connection refused"
    for _ in range(5):
        await dispatcher.dispatch_once()
    dead = {r.channel: r for r in await rows(service)}["flaky"]
    assert (dead.status, dead.attempts, flaky.attempts) == ("dead", 3, 3)
    failed = [e for e in await outbox_events(service) if e.type == "notification-failed"]
    assert [(e.payload["delivery_id"], e.payload["attempts"]) for e in failed] == [(str(dead.id), 3)]


async def test_a_retry_waits_for_its_back_off(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, redis_url, namespace, tmp_path, retry_base_delay_s=3600)
    service = await open_service(settings)
    try:
        contest = uuid.uuid4()
        await deliver(
            consumer_for(service),
            namespace,
            wrap(contest_announced(contest)),
            wrap(entry_submitted(contest, authors=[ZAVODISKER])),
        )
        flaky = FlakyChannel()
        await drain(service, {"file": flaky}, rounds=3)
        [row] = await rows(service)
        assert flaky.attempts == 1 and row.status == "failed"
        assert row.next_attempt_at is not None
        assert row.next_attempt_at.replace(tzinfo=UTC) > datetime.now(UTC)
    finally:
        await service.runtime.close()


@pytest.mark.parametrize("method", ["dispatch_once", "drain"])
async def test_racing_dispatchers_send_each_delivery_once(
    service: Notifications, namespace: str, method: str
) -> None:
    contest = uuid.uuid4()
    entries = [wrap(entry_submitted(contest, title=f"Проект {i}")) for i in range(60)]
    await deliver(consumer_for(service), namespace, wrap(contest_announced(contest)), *entries)
    channel = CountingChannel()
    dispatchers = [service.dispatcher({"file": channel}) for _ in range(3)]
    for i, d in enumerate(dispatchers):
        d.name, d.batch_size = f"replica-{i}", 7

    async def run(dispatcher) -> None:  # type: ignore[no-untyped-def]
        while await getattr(dispatcher, method)():
            pass

    await asyncio.gather(*(run(d) for d in dispatchers))
    sent = await rows(service)
    assert len(sent) == 120 and {r.status for r in sent} == {"sent"}
    assert set(channel.sent.values()) == {1} and len(channel.sent) == 120


async def test_draining_overlaps_batches_within_the_concurrency_limit(
    service: Notifications, namespace: str
) -> None:
    contest = uuid.uuid4()
    entries = [wrap(entry_submitted(contest, title=f"Проект {i}")) for i in range(30)]
    await deliver(consumer_for(service), namespace, wrap(contest_announced(contest)), *entries)
    channel = CountingChannel(seconds=0.02)
    dispatcher = service.dispatcher({"file": channel})
    dispatcher.batch_size, dispatcher.concurrency = 3, 5
    assert await dispatcher.drain() == 60
    sent = await rows(service)
    assert len(sent) == 60 and {r.status for r in sent} == {"sent"}
    assert set(channel.sent.values()) == {1} and len(channel.sent) == 60
    # the next batch was already sending while the last one finished (more sends at once than a
    # batch holds), and both together kept to the dispatcher's limit
    assert 3 < channel.most_in_flight <= 5


def test_the_dispatchers_plain_rows_have_the_deliveries_columns_in_order() -> None:
    columns = list(DeliveryRow.__table__.c.keys())  # type: ignore[attr-defined]
    assert [field.name for field in dataclasses.fields(DeliveryValues)] == columns
