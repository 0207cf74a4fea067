"""A realistic context per kind (the seed contest's data): used by `preview` and to check templates.

These also document which variables each kind's templates may use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..domain.kinds import NotificationKind as K

_CONTEST = {
    "title": "Межведомственный конкурс лучших профессиональных практик «Библиотечный калейдоскоп»",
    "contact": "Отдел прогнозирования и развития библиотечного дела, тел. 44-18-68",
}
_PARTICIPANT = {
    "name": "Заводискер Оксана Юрьевна",
    "position": "ведущий библиотекарь",
    "library": "Центральная детская библиотека ЦБС г. Белово",
}
_ORGANISER = {"name": "Иванова Мария Петровна", "position": "", "library": ""}
_JUROR = {"name": "Петров Сергей Иванович", "position": "", "library": ""}
_ENTRY = {
    "id": "0b7f6a52-9d8e-4a43-8f3c-1f4c2a7d9e10",
    "title": "Рюкзачок знаний",
    "nomination": "Сервис гид",
    "authors": ["Заводискер Оксана Юрьевна"],
    "private_link": "https://kaleidoscope.example/entries/0b7f6a52?token=Zm9vYmFy",
    "revision": 1,
}
_OTHER_ENTRY = {
    **_ENTRY,
    "id": "5c2d1e0f-7a6b-4c3d-9e8f-0a1b2c3d4e5f",
    "title": "Красная книга Чебулинского района",
    "nomination": "Информационная коллекция",
    "authors": ["Малышева Ксения Олеговна"],
}
_DEADLINE = datetime(2025, 9, 15, 11, 0, tzinfo=UTC)
_PERSONAL_LINK = "https://kaleidoscope.example/jury/sign-in?grant=juror-sign-in.3f2c.1767225600.c2lnbmF0dXJl"
"""A juror's sign-in link to the web front (JurorAssigned / JurorReminderDue `personal_link`); None
when judging gives none, and the templates then leave the line out."""
_FINAL = {
    "final_date": datetime(2025, 9, 28, 3, 0, tzinfo=UTC),
    "final_place": "Кемеровская областная научная библиотека им. В. Д. Фёдорова, ул. Дарвина, 2",
}


def _participant(**facts: Any) -> dict[str, Any]:
    return {"recipient": _PARTICIPANT, "contest": _CONTEST, "entry": _ENTRY, "entries": [_ENTRY], **facts}


_SAMPLES: dict[K, dict[str, Any]] = {
    K.ENTRY_RECEIVED: _participant(),
    K.ENTRY_UPDATED: _participant(entry={**_ENTRY, "revision": 2}),
    K.ENTRY_WITHDRAWN: _participant(reason="по просьбе автора"),
    K.SUBMISSIONS_CLOSED: {
        "recipient": _ORGANISER,
        "contest": _CONTEST,
        "closed_at": datetime(2025, 8, 31, 17, 0, tzinfo=UTC),
        "statistics": {
            "entries": 34,
            "authors": 41,
            "territories": 19,
            "by_nomination": [
                {"nomination": "Сервис гид", "entries": 12},
                {"nomination": "Информационная коллекция", "entries": 10},
                {"nomination": "Генератор идей", "entries": 12},
            ],
        },
    },
    K.JUROR_ASSIGNED: {
        "recipient": _JUROR,
        "contest": _CONTEST,
        "stage_name": "Заочный этап",
        "deadline": _DEADLINE,
        "entries": [_ENTRY, _OTHER_ENTRY],
        "personal_link": _PERSONAL_LINK,
    },
    K.JUROR_REMINDER: {
        "recipient": _JUROR,
        "contest": _CONTEST,
        "stage_name": "Заочный этап",
        "deadline": _DEADLINE,
        "entries": [_OTHER_ENTRY],
        "personal_link": _PERSONAL_LINK,
    },
    K.FINAL_INVITATION: _participant(**_FINAL),
    K.NON_FINALIST_THANKS: _participant(**_FINAL),
    K.WINNER_CONGRATULATIONS: _participant(
        place=1,
        prizes=[
            {
                "kind": "cash",
                "description": "денежная премия НБП «Кузбасские библиотеки»",
                "amount": Decimal(30000),
                "currency": "RUB",
            },
            {"kind": "sponsor", "description": "приз от ГК «Конкорд»", "amount": None, "currency": None},
        ],
    ),
    K.SPECIAL_MENTION: _participant(mention="за бережное сохранение памяти малой родины"),
    K.DEADLINE_CHANGED: _participant(
        submissions_close_at=datetime(2025, 9, 15, 11, 0, tzinfo=UTC),
        # None when the event does not give it; the templates then leave it out
        previous_submissions_close_at=datetime(2025, 8, 31, 11, 0, tzinfo=UTC),
        # the organisers' words, "" when they gave none
        reason="по просьбе библиотек, у которых в августе прошли выездные мероприятия",
    ),
    K.JUROR_LINK_REISSUED: {
        "recipient": _JUROR,
        "contest": _CONTEST,
        "personal_link": _PERSONAL_LINK,
    },
    K.CONTEST_FINISHED_PARTICIPANT: _participant(
        # the kinds of the documents attached, in order (fan-out gives every message its own)
        documents=["thank_you_letter", "participant_diploma", "winner_diploma"],
    ),
    K.CONTEST_FINISHED_ORGANISER: {
        "recipient": _ORGANISER,
        "contest": _CONTEST,
        "results": {
            "participants": 41,
            "entries": 34,
            "finalists": 9,
            "winners": [
                {
                    "nomination": "Сервис гид",
                    "place": 1,
                    "title": "Рюкзачок знаний",
                    "authors": ["Заводискер Оксана Юрьевна"],
                    "libraries": ["Центральная детская библиотека ЦБС г. Белово"],
                },
                {
                    "nomination": "Информационная коллекция",
                    "place": 1,
                    "title": "Красная книга Чебулинского района",
                    "authors": ["Малышева Ксения Олеговна"],
                    "libraries": ["Чебулинская межпоселенческая центральная библиотека"],
                },
            ],
        },
    },
}


def sample_context(kind: K) -> dict[str, Any]:
    return _SAMPLES[kind]
