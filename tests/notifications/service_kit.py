"""The seed contest as bus events, and a notifications service wired to a test's database and Redis.

Named uniquely because the tests folder is put on sys.path (pytest's importlib mode).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from notify_testkit import CONTEST_TITLE

from kaleidoscope_shared.bus.consumer import StreamConsumer
from kaleidoscope_shared.contracts import (
    Author,
    ContestAnnounced,
    ContestFinished,
    EntryResult,
    EntrySubmitted,
    Envelope,
    Event,
    Nomination,
    Organiser,
    Placement,
    Prize,
    StageClosed,
    Territory,
    WinnerDeclared,
)
from kaleidoscope_shared.worker import build_consumer
from notifications.bootstrap import Notifications, bootstrap
from notifications.entrypoints.bus import build_handlers
from notifications.settings import NotificationsSettings

NOW = datetime(2025, 9, 28, 10, 0, tzinfo=UTC)
ORGANISER_EMAIL = "org@kuzbass-libraries.example"


def settings_for(
    database_url: str, redis_url: str, namespace: str, data_dir: Path, **extra: Any
) -> NotificationsSettings:
    return NotificationsSettings(
        database_url=database_url,
        redis_url=redis_url,
        bus_namespace=namespace,
        data_dir=str(data_dir),
        **{"retry_base_delay_s": 0, "retry_max_attempts": 3, "default_channels": ["file"], **extra},
    )


async def open_service(settings: NotificationsSettings) -> Notifications:
    service = bootstrap(settings)
    await service.runtime.open()
    return service


def consumer_for(service: Notifications) -> StreamConsumer:
    return build_consumer(service.runtime, build_handlers(service.fan_out_config()))


async def deliver(consumer: StreamConsumer, namespace: str, *envelopes: Envelope) -> None:
    """Hand envelopes to the consumer as if read from their streams (inbox, transaction, ack)."""
    messages = [
        (e.stream(namespace), f"{i + 1}-0".encode(), {b"envelope": e.model_dump_json().encode()})
        for i, e in enumerate(envelopes)
    ]
    await consumer.handle_messages(messages)


def wrap(event: Event, producer: str = "submissions") -> Envelope:
    return Envelope.wrap(event, producer=producer, contest_id=getattr(event, "contest_id", None))


def contest_announced(contest_id: uuid.UUID) -> ContestAnnounced:
    return ContestAnnounced(
        contest_id=contest_id,
        title=CONTEST_TITLE,
        organisers=[Organiser(name="Иванова Мария Петровна", email=ORGANISER_EMAIL)],
        contact="тел. 44-18-68",
        nominations=[
            Nomination(code="service", title="Сервис гид"),
            Nomination(code="collection", title="Информационная коллекция"),
        ],
        territories=[Territory(code="belovo", name="г. Белово", kind="city_district")],
        submissions_open_at=NOW - timedelta(days=60),
        submissions_close_at=NOW - timedelta(days=30),
    )


def author(name: str, email: str | None, language: str = "ru") -> Author:
    return Author(
        full_name=name,
        position="ведущий библиотекарь",
        library="Центральная детская библиотека ЦБС г. Белово",
        territory_code="belovo",
        email=email,
        language=language,  # type: ignore[arg-type]
    )


ZAVODISKER = author("Заводискер Оксана Юрьевна", "zavodisker@belovo-lib.example")
SIDOROVA = author("Сидорова Анна Викторовна", "sidorova@belovo-lib.example")


def entry_submitted(
    contest_id: uuid.UUID,
    entry_id: uuid.UUID | None = None,
    *,
    title: str = "Рюкзачок знаний",
    authors: Sequence[Author] = (ZAVODISKER, SIDOROVA),
    revision: int = 1,
    nomination: str = "service",
) -> EntrySubmitted:
    return EntrySubmitted(
        entry_id=entry_id or uuid.uuid4(),
        contest_id=contest_id,
        revision=revision,
        nomination_code=nomination,
        title=title,
        authors=list(authors),
        submitted_at=NOW - timedelta(days=40),
        private_link="https://kaleidoscope.example/e/1?t=secret",
    )


def stage_closed(
    contest_id: uuid.UUID, advanced: Sequence[uuid.UUID], others: Sequence[uuid.UUID]
) -> StageClosed:
    results = [
        EntryResult(
            entry_id=e, nomination_code="service", aggregate=None, rank=None, advanced=True, reason="top"
        )
        for e in advanced
    ] + [
        EntryResult(
            entry_id=e, nomination_code="service", aggregate=None, rank=None, advanced=False, reason="below"
        )
        for e in others
    ]
    return StageClosed(
        contest_id=contest_id,
        stage_id=uuid.uuid4(),
        name="Заочный этап",
        kind="review",
        position=1,
        is_last=False,
        closed_at=NOW - timedelta(days=10),
        results=results,
        audit_head_hash="0" * 64,
        final_date=NOW,
        final_place="Кемеровская областная научная библиотека",
    )


def winner_declared(contest_id: uuid.UUID, entry_id: uuid.UUID) -> WinnerDeclared:
    return WinnerDeclared(
        contest_id=contest_id,
        stage_id=uuid.uuid4(),
        nomination_code="service",
        placements=[
            Placement(
                entry_id=entry_id,
                place=1,
                prizes=[Prize(kind="cash", description="денежная премия", amount=30000, currency="RUB")],
            )
        ],
        declared_at=NOW,
    )


def contest_finished(
    contest_id: uuid.UUID, participants: Sequence[uuid.UUID], winners: Sequence[uuid.UUID]
) -> ContestFinished:
    return ContestFinished(
        contest_id=contest_id,
        finished_at=NOW,
        participant_entry_ids=list(participants),
        winner_entry_ids=list(winners),
    )
