"""A special mention declared in the final reaches its recipients: a letter when the jury declares
it, the jury's special diploma (signed, dated the day of the decision) when the contest ends; through
the real consumer, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from notify_testkit import BACKPACK, MALYSHEVA, RED_BOOK, ZAVODISKER
from service_kit import (
    NOW,
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

from kaleidoscope_shared.contracts import (
    NominationOutcome,
    Placement,
    Signatory,
    SpecialMention,
    WinnerDeclared,
)
from notifications.adapters.document_store import fields_from_json
from notifications.adapters.tables import DeliveryRow, DocumentRow
from notifications.bootstrap import Notifications
from notifications.domain import ContestView, NotificationKind, plan_notifications

FULL_TITLE = "Межведомственный конкурс лучших профессиональных практик «Библиотечный калейдоскоп» 2025 года"
SIGNATORIES = [
    Signatory(name="Т. В. Гордеева", position="Директор библиотеки"),
    Signatory(name="О. А. Семенова"),
]
WORDS = "за бережное сохранение памяти малой родины"


@pytest.fixture
async def service(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[Notifications]:
    service = await open_service(settings_for(database_url, redis_url, namespace, tmp_path))
    yield service
    await service.runtime.close()


async def test_a_special_mention_brings_a_letter_and_the_jurys_special_diploma(
    service: Notifications, namespace: str
) -> None:
    contest, winner, mentioned = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    malysheva = author("Малышева Ксения Олеговна", "malysheva@chebula.example")
    announced = contest_announced(contest).model_copy(
        update={"full_title": FULL_TITLE, "signatories": SIGNATORIES}
    )
    declared = winner_declared(contest, winner)
    declared = declared.model_copy(
        update={"special_mentions": [SpecialMention(entry_id=mentioned, text=WORDS)]}
    )
    finished = contest_finished(contest, [winner, mentioned], [winner]).model_copy(
        update={
            "finished_at": NOW + timedelta(hours=3),
            "outcomes": [
                NominationOutcome(
                    nomination_code="service",
                    placements=declared.placements,
                    special_mentions=declared.special_mentions,
                )
            ],
        }
    )
    events = [
        announced,
        entry_submitted(contest, winner),
        entry_submitted(contest, mentioned, title="Красная книга", authors=[malysheva]),
        stage_closed(contest, advanced=[winner, mentioned], others=[]),
        declared,
        finished,
    ]
    await deliver(consumer_for(service), namespace, *[wrap(e) for e in events])
    async with service.runtime.sessions() as session:
        rows = list((await session.execute(select(DeliveryRow))).scalars())
        documents = list((await session.execute(select(DocumentRow))).scalars())
    [letter] = [r for r in rows if r.event_type == "winner-declared" and r.recipient == malysheva.email]
    assert letter.kind == NotificationKind.SPECIAL_MENTION.value
    assert WORDS in letter.text and "Красная книга" in letter.text
    mine = {d.kind: fields_from_json(d.fields) for d in documents if d.person_key == malysheva.email}
    assert set(mine) == {
        "thank_you_letter",
        "participant_diploma",
        "finalist_diploma",
        "special_mention_diploma",
    }
    special = mine["special_mention_diploma"]
    assert special.mention == WORDS and special.project_title == "Красная книга"
    assert special.contest_title == FULL_TITLE
    assert special.signatories == (("Т. В. Гордеева", "Директор библиотеки"), ("О. А. Семенова", ""))
    assert special.issued_on == finished.finished_at.date()  # the day of the decision
    [finished_row] = [
        r for r in rows if r.event_type == "contest-finished" and r.recipient == malysheva.email
    ]
    assert {str(d.document_id) for d in documents if d.person_key == malysheva.email} == set(
        finished_row.document_ids
    )
    winners = {d.kind for d in documents if d.person_key != malysheva.email}
    assert "special_mention_diploma" not in winners


def test_a_person_both_placed_and_mentioned_gets_one_message_the_winners(contest: ContestView) -> None:
    both = replace(RED_BOOK, authors=(MALYSHEVA, ZAVODISKER))
    contest = replace(contest, entries={**contest.entries, RED_BOOK.entry_id: both})
    event = WinnerDeclared(
        contest_id=uuid.uuid4(),
        stage_id=uuid.uuid4(),
        nomination_code="service",
        declared_at=NOW,
        placements=[Placement(entry_id=BACKPACK.entry_id, place=1)],
        special_mentions=[SpecialMention(entry_id=RED_BOOK.entry_id, text=WORDS)],
    )
    messages = {m.person.name: m for m in plan_notifications(uuid.uuid4(), event, contest).messages}
    assert messages[MALYSHEVA.name].kind is NotificationKind.SPECIAL_MENTION
    assert messages[MALYSHEVA.name].context["mention"] == WORDS
    assert messages[ZAVODISKER.name].kind is NotificationKind.WINNER_CONGRATULATIONS
    titles = [e["title"] for e in messages[ZAVODISKER.name].context["entries"]]
    assert titles == [BACKPACK.title, RED_BOOK.title]
