from __future__ import annotations

import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from notify_testkit import BACKPACK, CONTEST_TITLE, ORGANISER, ORGANISERS, RED_BOOK

from notifications.documents import DocumentFields
from notifications.domain import ContestView, DocumentKind


@pytest.fixture
def contest() -> ContestView:
    return ContestView(
        contest_id=uuid.UUID("00000000-0000-4000-8000-00000000c0de"),
        title=CONTEST_TITLE,
        nominations={
            "service": "Сервис гид",
            "collection": "Информационная коллекция",
            "ideas": "Генератор идей",
        },
        organisers=(ORGANISER,),
        entries={BACKPACK.entry_id: BACKPACK, RED_BOOK.entry_id: RED_BOOK},
        contact="тел. 44-18-68",
        final_date=datetime(2025, 9, 28, 3, 0, tzinfo=UTC),
        final_place="Кемеровская областная научная библиотека",
    )


@pytest.fixture
def winner_diploma_fields() -> DocumentFields:
    return DocumentFields(
        document_id=uuid.UUID("00000000-0000-4000-8000-0000000000d1"),
        kind=DocumentKind.WINNER_DIPLOMA,
        recipient_name="Заводискер Оксана Юрьевна",
        position="ведущий библиотекарь",
        library="Центральная детская библиотека ЦБС г. Белово",
        project_title="Рюкзачок знаний",
        nomination="Сервис гид",
        contest_title=CONTEST_TITLE,
        issued_on=date(2025, 9, 28),
        organisers=ORGANISERS,
        place=1,
        city="Кемерово",
    )
