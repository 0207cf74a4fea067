"""From events to delivery rows: who hears what, with which documents, exactly once, on SQLite and
PostgreSQL, through the real consumer (inbox, transaction)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis
from service_kit import (
    ORGANISER_EMAIL,
    SIDOROVA,
    ZAVODISKER,
    author,
    consumer_for,
    contest_announced,
    contest_finished,
    deliver,
    entry_submitted,
    open_service,
    settings_for,
    stage_closed,
    winner_declared,
    wrap,
)
from sqlmodel import select

from kaleidoscope_shared import contracts
from kaleidoscope_shared.bus.consumer import ConsumerSettings, EventContext, RetryLater, StreamConsumer
from kaleidoscope_shared.contracts import EntryUpdated, EntryWithdrawn
from kaleidoscope_shared.sealing import unseal
from notifications.adapters.tables import DeliveryRow, DocumentRow, EntryCopy, PreferenceRow
from notifications.bootstrap import Notifications
from notifications.domain.links import reveal
from notifications.entrypoints.bus import build_handlers


@pytest.fixture
async def service(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[Notifications]:
    service = await open_service(settings_for(database_url, redis_url, namespace, tmp_path))
    yield service
    await service.runtime.close()


async def deliveries(service: Notifications) -> list[DeliveryRow]:
    async with service.runtime.sessions() as session:
        return list((await session.execute(select(DeliveryRow).order_by(DeliveryRow.recipient))).scalars())


async def test_every_co_author_is_told_their_entry_was_received_with_its_private_link(
    service: Notifications, namespace: str
) -> None:
    contest = uuid.uuid4()
    await deliver(
        consumer_for(service), namespace, wrap(contest_announced(contest)), wrap(entry_submitted(contest))
    )
    rows = await deliveries(service)
    assert [(r.recipient, r.channel, r.status) for r in rows] == [
        ("sidorova@belovo-lib.example", "file", "pending"),
        ("zavodisker@belovo-lib.example", "file", "pending"),
    ]
    assert all("Рюкзачок знаний" in r.subject for r in rows)
    # an event from before links were sealed (the link in clear): kept sealed, sent with the link
    assert all("t=secret" not in r.text and "[[sealed:v1:" in r.text for r in rows)
    assert all("https://kaleidoscope.example/e/1?t=secret" in opened(service, r.text) for r in rows)


async def test_a_redelivered_event_adds_no_second_delivery(service: Notifications, namespace: str) -> None:
    contest = uuid.uuid4()
    consumer = consumer_for(service)
    announced, submitted = wrap(contest_announced(contest)), wrap(entry_submitted(contest))
    await deliver(consumer, namespace, announced, submitted)
    await deliver(consumer, namespace, submitted)
    await deliver(consumer_for(service), namespace, announced, submitted)  # another replica
    assert len(await deliveries(service)) == 2


async def test_an_entry_of_a_contest_not_announced_yet_waits(service: Notifications) -> None:
    handlers = build_handlers(service.fan_out_config())
    submitted = entry_submitted(uuid.uuid4())
    async with service.runtime.sessions() as session:
        ctx = EventContext(session, wrap(submitted), service.runtime.outbox)
        with pytest.raises(RetryLater, match="has not been announced"):
            await handlers[type(submitted)](ctx, submitted)


async def test_a_withdrawal_is_not_undone_by_an_older_revision_arriving_late(
    service: Notifications, namespace: str
) -> None:
    contest, entry = uuid.uuid4(), uuid.uuid4()
    submitted = entry_submitted(contest, entry, authors=[ZAVODISKER])
    withdrawn = EntryWithdrawn(
        entry_id=entry,
        contest_id=contest,
        revision=3,
        reason="по просьбе автора",
        withdrawn_at=datetime.now(UTC),
    )
    late_update = EntryUpdated(
        **{**submitted.model_dump(exclude={"private_link"}), "revision": 2, "title": "Новое название"},
        updated_at=datetime.now(UTC),
    )
    consumer = consumer_for(service)
    await deliver(consumer, namespace, wrap(contest_announced(contest)), wrap(submitted))
    await deliver(consumer, namespace, wrap(withdrawn))
    await deliver(consumer, namespace, wrap(late_update))
    async with service.runtime.sessions() as session:
        copy = await session.get(EntryCopy, entry)
    assert copy is not None and copy.withdrawn and copy.revision == 3 and copy.title == "Рюкзачок знаний"
    assert sorted(r.kind for r in await deliveries(service)) == ["entry_received", "entry_withdrawn"]


async def test_the_end_of_the_contest_brings_letters_and_diplomas_to_every_participant(
    service: Notifications, namespace: str
) -> None:
    contest, winner, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    malysheva = author("Малышева Ксения Олеговна", "malysheva@chebula.example")
    events = [
        contest_announced(contest),
        entry_submitted(contest, winner),
        entry_submitted(contest, other, title="Красная книга", authors=[malysheva], nomination="collection"),
        stage_closed(contest, advanced=[winner], others=[other]),
        winner_declared(contest, winner),
        contest_finished(contest, [winner, other], [winner]),
    ]
    await deliver(consumer_for(service), namespace, *[wrap(e) for e in events])
    finished = [r for r in await deliveries(service) if r.event_type == "contest-finished"]
    documents = await _documents_by_person(service)
    assert sorted(r.recipient for r in finished) == sorted(
        [ORGANISER_EMAIL, str(ZAVODISKER.email), str(SIDOROVA.email), "malysheva@chebula.example"]
    )
    assert documents[str(ZAVODISKER.email)] == ["participant_diploma", "thank_you_letter", "winner_diploma"]
    assert documents[str(SIDOROVA.email)] == ["participant_diploma", "thank_you_letter", "winner_diploma"]
    assert documents["malysheva@chebula.example"] == ["participant_diploma", "thank_you_letter"]
    assert all(len(r.document_ids) == len(documents.get(r.recipient, [])) for r in finished)
    kinds = {(r.recipient, r.event_type): r.kind for r in await deliveries(service)}
    assert kinds[(str(ZAVODISKER.email), "stage-closed")] == "final_invitation"
    assert kinds[("malysheva@chebula.example", "stage-closed")] == "non_finalist_thanks"
    assert kinds[(str(ZAVODISKER.email), "winner-declared")] == "winner_congratulations"


async def test_the_end_of_the_contest_waits_for_its_winners_to_be_declared(
    service: Notifications, namespace: str
) -> None:
    contest, winner = uuid.uuid4(), uuid.uuid4()
    await deliver(
        consumer_for(service),
        namespace,
        wrap(contest_announced(contest)),
        wrap(entry_submitted(contest, winner)),
    )
    finished = contest_finished(contest, [winner], [winner])
    async with service.runtime.sessions() as session:
        ctx = EventContext(session, wrap(finished, "judging"), service.runtime.outbox)
        with pytest.raises(RetryLater, match="WinnerDeclared"):
            await build_handlers(service.fan_out_config())[type(finished)](ctx, finished)


async def test_a_recipient_hears_on_their_channels_in_their_language(
    service: Notifications, namespace: str
) -> None:
    contest = uuid.uuid4()
    async with service.runtime.sessions() as session, session.begin():
        session.add(
            PreferenceRow(
                person_key=str(ZAVODISKER.email),
                channels=["email", "file"],
                language="en",
                updated_at=datetime.now(UTC),
            )
        )
    submitted = entry_submitted(contest, authors=[ZAVODISKER])
    await deliver(consumer_for(service), namespace, wrap(contest_announced(contest)), wrap(submitted))
    rows = await deliveries(service)
    assert sorted(r.channel for r in rows) == ["email", "file"]
    assert {r.language for r in rows} == {"en"}
    assert {r.subject for r in rows} == {"Entry received: “Рюкзачок знаний”"}


async def _documents_by_person(service: Notifications) -> dict[str, list[str]]:
    async with service.runtime.sessions() as session:
        rows = list((await session.execute(select(DocumentRow))).scalars())
    result: dict[str, list[str]] = {}
    for row in rows:
        result.setdefault(row.person_key, []).append(row.kind)
    return {k: sorted(v) for k, v in result.items()}


def test_reminders_are_consumed_exactly_when_the_contracts_define_them(service: Notifications) -> None:
    consumed = {event.event_type for event in build_handlers(service.fan_out_config())}
    assert ("juror-reminder-due" in consumed) == hasattr(contracts, "JurorReminderDue")


async def test_a_juror_is_reminded_of_the_entries_still_to_score_with_their_personal_link(
    service: Notifications, namespace: str
) -> None:
    contest, entry = uuid.uuid4(), uuid.uuid4()
    await deliver(
        consumer_for(service),
        namespace,
        wrap(contest_announced(contest)),
        wrap(entry_submitted(contest, entry)),
    )
    link = "http://127.0.0.1:8000/jury/sign-in?grant=juror-sign-in.j.1767225600.sig"
    reminder = contracts.JurorReminderDue(
        contest_id=contest,
        stage_id=uuid.uuid4(),
        stage_name="Заочный этап",
        juror_id=uuid.uuid4(),
        juror_name="Петров Сергей Иванович",
        juror_email="petrov@jury.example",
        deadline=datetime(2025, 9, 15, 11, 0, tzinfo=UTC),
        missing_entry_ids=[entry],
        personal_link=link,
    )
    await deliver(consumer_for(service), namespace, wrap(reminder, "judging"))
    [row] = [r for r in await deliveries(service) if r.event_type == "juror-reminder-due"]
    assert (row.recipient, row.kind) == ("petrov@jury.example", "juror_reminder")
    assert "Рюкзачок знаний" in row.text and "15 сентября 2025" in row.text
    assert "grant=" not in row.text and "Ваша личная страница: [[sealed:v1:" in row.text
    assert f"Ваша личная страница: {link}" in opened(service, row.text)


async def test_an_entry_that_never_finds_its_contest_is_dead_lettered_with_the_reason_and_work_goes_on(
    service: Notifications, namespace: str, redis: Redis
) -> None:
    handlers = build_handlers(service.fan_out_config())
    consumer = StreamConsumer(
        redis,
        service.runtime.sessions,
        service.runtime.tables,
        service.runtime.outbox,
        handlers,
        ConsumerSettings(
            group="notifications",
            consumer="test",
            namespace=namespace,
            block_ms=50,
            reclaim_idle_ms=50,
            reclaim_interval_s=0.05,
            max_deliveries=2,
        ),
    )
    orphan = wrap(entry_submitted(uuid.uuid4()))
    await redis.xadd(orphan.stream(namespace), {"envelope": orphan.model_dump_json()})
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(stop))
    try:
        dead: list = []
        for _ in range(200):
            dead = await redis.xrange(consumer.dead_letters)
            if dead:
                break
            await asyncio.sleep(0.05)
        contest = uuid.uuid4()
        for envelope in (
            wrap(contest_announced(contest)),
            wrap(entry_submitted(contest, authors=[ZAVODISKER])),
        ):
            await redis.xadd(envelope.stream(namespace), {"envelope": envelope.model_dump_json()})
        for _ in range(200):
            if await deliveries(service):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
    [(_, record)] = dead
    assert record[b"reason"] == b"max-deliveries" and b"has not been announced" in record[b"error"]
    assert [r.recipient for r in await deliveries(service)] == [ZAVODISKER.email]


def opened(service: Notifications, text: str) -> str:
    """A stored message's text with its sealed links opened, as the dispatcher hands it to a channel."""
    key = service.settings.link_key.get_secret_value()
    return reveal(text, lambda sealed: unseal(sealed, key))
