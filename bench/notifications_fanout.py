"""Benchmark of the notifications service's sending path, on the embedded default (SQLite files).

1. Notifications per second through the file channel (claim, build, write .eml/.json, record,
   announce), beside a plain loop writing the same files in the same run (median of `--runs`).
2. ContestFinished fanned out to `--participants` participants with documents: the consumer's
   transaction (plan, render, document and delivery rows), then every message written with its
   thank-you letter and diploma drawn as PDF (`--document-workers` processes), and the jury's
   special diploma for one participant in `MENTION_EVERY`. The documents are the demo's: the
   contest's full title and two signatories on each. Target: under 60 s.

    .venv/bin/python -m bench.notifications_fanout [--messages 2000] [--participants 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

from kaleidoscope_shared.bus.consumer import EventContext
from kaleidoscope_shared.contracts import (
    Author,
    ContestAnnounced,
    ContestFinished,
    EntrySubmitted,
    Envelope,
    Event,
    Nomination,
    NominationOutcome,
    Organiser,
    Signatory,
    SpecialMention,
    Territory,
)
from kaleidoscope_shared.entrypoint import run_event_loop
from kaleidoscope_shared.files import write_atomically
from notifications.adapters.document_store import draw_pdf
from notifications.adapters.tables import DeliveryRow, EntryCopy
from notifications.bootstrap import Notifications, bootstrap
from notifications.channels.file import FileChannel, _summary
from notifications.channels.mime import build_email
from notifications.documents import DocumentFields
from notifications.domain import DocumentKind
from notifications.entrypoints.bus import build_handlers
from notifications.settings import NotificationsSettings

TARGET_SECONDS = 60.0
NOW = datetime(2025, 9, 28, 10, 0, tzinfo=UTC)
# What the documents print, as in the demo (cli/kaleidoscope_cli/scenarios).
TITLE = "Библиотечный калейдоскоп"
FULL_TITLE = "Межведомственный конкурс лучших профессиональных практик «Библиотечный калейдоскоп»"
SIGNATORIES = (
    ("С. О. Каменев", "Председатель правления НБП «Кузбасские библиотеки»"),
    ("М. В. Соколова", "Председатель жюри конкурса"),
)
MENTION = "за последовательную работу по созданию доступной среды в библиотеке"
MENTION_EVERY = 1000
"""One participant in this many is singled out by the jury: a third PDF, the jury's special diploma."""


def settings(folder: Path, document_workers: int) -> NotificationsSettings:
    return NotificationsSettings(
        data_dir=str(folder),
        database_url=f"sqlite+aiosqlite:///{folder}/notifications.db",
        default_channels=["file"],
        dispatch_batch_size=500,
        dispatch_concurrency=32,
        document_workers=document_workers,
    )


def announced(contest_id: uuid.UUID) -> ContestAnnounced:
    return ContestAnnounced(
        contest_id=contest_id,
        title=TITLE,
        organisers=[Organiser(name="НБП «Кузбасские библиотеки»", email="org@example.org")],
        nominations=[Nomination(code="service", title="Сервис гид")],
        territories=[Territory(code="belovo", name="г. Белово", kind="city_district")],
        submissions_open_at=NOW - timedelta(days=60),
        submissions_close_at=NOW - timedelta(days=30),
        full_title=FULL_TITLE,
        signatories=[Signatory(name=name, position=position) for name, position in SIGNATORIES],
    )


def author(i: int) -> Author:
    return Author(
        full_name=f"Участникова{i} Анна Петровна",
        position="ведущий библиотекарь",
        library=f"Библиотека № {i % 300}",
        territory_code="belovo",
        email=f"participant{i}@example.org",
    )


async def handle(service: Notifications, events: list[Event]) -> None:
    """What the consumer does for each event, in one transaction (without Redis)."""
    handlers = build_handlers(service.fan_out_config())
    async with service.runtime.sessions() as session, session.begin():
        for event in events:
            envelope = Envelope.wrap(event, producer="bench")
            await handlers[type(event)](EventContext(session, envelope, service.runtime.outbox), event)


async def drain(service: Notifications, folder: Path, executor=None) -> None:  # type: ignore[no-untyped-def]
    dispatcher = service.dispatcher({"file": FileChannel({"path": folder})}, executor)
    while await dispatcher.drain():
        pass


async def rows_of(service: Notifications) -> list[DeliveryRow]:
    from sqlmodel import select

    async with service.runtime.sessions() as session:
        return list((await session.execute(select(DeliveryRow))).scalars())


def plain_loop(rows: list[DeliveryRow], folder: Path) -> None:
    """The same two files per message, written without a database, claims or events."""
    folder.mkdir(parents=True, exist_ok=True)
    for row in rows:
        message = _message(row)
        write_atomically(folder / f"{row.id}.eml", build_email(message, sender="b@x", message_id_domain="x"))
        write_atomically(folder / f"{row.id}.json", _summary(message))


def _message(row: DeliveryRow):  # type: ignore[no-untyped-def]
    from notifications.channels import MessageRecipient, OutgoingMessage

    return OutgoingMessage(
        delivery_id=row.id,
        recipient=MessageRecipient(row.address, row.recipient_name, row.language),
        subject=row.subject,
        text=row.text,
        html=row.html,
        metadata={"event_id": str(row.event_id), "event_type": row.event_type, "kind": row.kind},
    )


async def file_channel_rates(root: Path, messages: int, runs: int) -> tuple[float, float]:
    service = bootstrap(settings(root / "rate", 0))
    await service.runtime.open()
    contest = uuid.uuid4()
    entries: list[Event] = [
        EntrySubmitted(
            entry_id=uuid.uuid4(),
            contest_id=contest,
            revision=1,
            nomination_code="service",
            title=f"Проект {i}",
            authors=[author(i)],
            submitted_at=NOW,
        )
        for i in range(messages)
    ]
    await handle(service, [announced(contest), *entries])
    rows = await rows_of(service)
    ours, plain = [], []
    for run in range(runs):
        async with service.runtime.sessions.begin() as session:
            await session.execute(update(DeliveryRow).values(status="pending", attempts=0))
        started = time.perf_counter()
        await drain(service, root / "rate" / "messages")
        ours.append(len(rows) / (time.perf_counter() - started))
        started = time.perf_counter()
        await asyncio.to_thread(plain_loop, rows, root / "rate" / f"plain-{run}")
        plain.append(len(rows) / (time.perf_counter() - started))
    await service.runtime.close()
    return statistics.median(ours), statistics.median(plain)


async def seed_participants(service: Notifications, contest: uuid.UUID, count: int) -> list[uuid.UUID]:
    await handle(service, [announced(contest)])
    ids = [uuid.uuid4() for _ in range(count)]
    records = [
        {
            "entry_id": entry_id,
            "contest_id": contest,
            "revision": 1,
            "title": f"Проект {i}",
            "nomination_code": "service",
            "authors": [
                {
                    "key": f"p{i}@example.org",
                    "name": author(i).full_name,
                    "email": f"p{i}@example.org",
                    "language": "ru",
                    "position": "библиотекарь",
                    "library": f"Библиотека № {i % 300}",
                    "territory_code": "belovo",
                }
            ],
            "withdrawn": False,
            "finalist": False,
            "place": None,
        }
        for i, entry_id in enumerate(ids)
    ]
    async with service.runtime.sessions.begin() as session:
        await session.execute(insert(EntryCopy), records)
    return ids


async def contest_finished(root: Path, participants: int, workers: int) -> tuple[float, float, int, int]:
    service = bootstrap(settings(root / "fanout", workers))
    await service.runtime.open()
    contest = uuid.uuid4()
    ids = await seed_participants(service, contest, participants)
    mentions = [SpecialMention(entry_id=entry_id, text=MENTION) for entry_id in ids[::MENTION_EVERY]]
    finished = ContestFinished(
        contest_id=contest,
        finished_at=NOW,
        participant_entry_ids=ids,
        winner_entry_ids=[],
        outcomes=[NominationOutcome(nomination_code="service", special_mentions=mentions)],
    )
    started = time.perf_counter()
    await handle(service, [finished])
    planned = time.perf_counter() - started
    executor = service.document_executor()
    try:
        await drain(service, root / "fanout" / "messages", executor)
    finally:
        if executor:
            executor.shutdown()
    total = time.perf_counter() - started
    rows = await rows_of(service)
    sent = sum(1 for r in rows if r.status == "sent")
    pdfs = len(list((root / "fanout" / "documents").glob("*.pdf")))
    await service.runtime.close()
    assert sent == len(rows), f"{len(rows) - sent} deliveries were not sent"
    assert pdfs == 2 * participants + len(mentions), f"{pdfs} PDFs, not a letter and a diploma each"
    return planned, total, sent, pdfs


def pdf_milliseconds(root: Path, count: int = 30) -> float:
    fields = DocumentFields(
        document_id=uuid.uuid4(),
        kind=DocumentKind.PARTICIPANT_DIPLOMA,
        recipient_name="Заводискер Оксана Юрьевна",
        project_title="Рюкзачок знаний",
        nomination="Сервис гид",
        contest_title=FULL_TITLE,
        issued_on=NOW.date(),
        organisers=("НБП «Кузбасские библиотеки»",),
        signatories=SIGNATORIES,
    )
    draw_pdf(fields, b"k" * 32, "https://x/{code}", str(root / "warm.pdf"))
    started = time.perf_counter()
    for i in range(count):
        draw_pdf(fields, b"k" * 32, "https://x/{code}", str(root / f"plain-{i}.pdf"))
    return (time.perf_counter() - started) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--document-workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-notifications-") as folder:
        root = Path(folder)
        ours, plain = run_event_loop(file_channel_rates(root, args.messages, args.runs))
        per_pdf = pdf_milliseconds(root)
        planned, total, sent, pdfs = run_event_loop(
            contest_finished(root, args.participants, args.document_workers)
        )
    print(
        f"## notifications fan-out (SQLite, {os.cpu_count()} CPUs, {args.document_workers} PDF processes)\n"
    )
    print("| scenario | measured | baseline (same run) | ratio |")
    print("| --- | --- | --- | --- |")
    print(
        f"| file channel, {args.messages} messages (median of {args.runs}) | {ours:,.0f} msg/s "
        f"| plain loop writing the same files: {plain:,.0f} msg/s | {ours / plain:.2f} |"
    )
    print(
        f"| ContestFinished → {args.participants:,} participants: consumer transaction | {planned:.1f} s | — | — |"
    )
    print(
        f"| ContestFinished → {sent:,} messages, {pdfs:,} PDFs written | {total:.1f} s "
        f"| target {TARGET_SECONDS:.0f} s | {total / TARGET_SECONDS:.2f} |"
    )
    print(
        f"| one PDF drawn in a plain loop | {per_pdf:.1f} ms | {pdfs:,} PDFs ≈ {per_pdf * pdfs / 1000:.0f} s on one core | — |"
    )


if __name__ == "__main__":
    main()
