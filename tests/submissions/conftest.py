"""Builders for contests and entries, and a clock the tests control."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from submissions.domain import (
    Author,
    Contest,
    ContestRules,
    ContestStatus,
    EntryContent,
    FixedClock,
    Nomination,
    SubmissionWindow,
    Territory,
    TerritoryKind,
)

KEMEROVO = timezone(timedelta(hours=7))
OPENS = datetime(2024, 3, 1, 0, 0, tzinfo=KEMEROVO)
CLOSES = datetime(2024, 7, 1, 0, 0, tzinfo=KEMEROVO)
DURING = datetime(2024, 5, 15, 12, 0, tzinfo=KEMEROVO)


def make_contest(**overrides: Any) -> Contest:
    fields: dict[str, Any] = {
        "title": "Библиотечный калейдоскоп",
        "nominations": (
            Nomination(code="service-guide", title="Сервис гид"),
            Nomination(code="idea-generator", title="Генератор идей"),
        ),
        "territories": (
            Territory(code="belovo-city", name="Беловский городской округ", kind=TerritoryKind.CITY_DISTRICT),
            Territory(
                code="chebulinsky-district",
                name="Чебулинский муниципальный район",
                kind=TerritoryKind.MUNICIPAL_DISTRICT,
            ),
        ),
        "window": SubmissionWindow(opens_at=OPENS, closes_at=CLOSES),
        "rules": ContestRules(max_entries_per_author_per_nomination=2),
        "status": ContestStatus.PUBLISHED,
        "published_at": OPENS - timedelta(days=7),
    }
    fields.update(overrides)
    return Contest(**fields)


def make_author(**overrides: Any) -> Author:
    fields: dict[str, Any] = {
        "full_name": "Заводискер Оксана Юрьевна",
        "position": "ведущий библиотекарь",
        "library": "Центральная детская библиотека ЦБС г. Белово",
        "territory_code": "belovo-city",
        "email": "o.zavodisker@example.org",
    }
    fields.update(overrides)
    return Author(**fields)


def make_content(**overrides: Any) -> EntryContent:
    fields: dict[str, Any] = {
        "nomination_code": "service-guide",
        "title": "Рюкзачок знаний",
        "annotation": "Тематические рюкзаки с книгами для семейного чтения.",
        "authors": (make_author(),),
        "links": ("https://example.org/backpack",),
        "consent_to_personal_data": True,
    }
    fields.update(overrides)
    return EntryContent(**fields)


@pytest.fixture
def contest() -> Contest:
    return make_contest()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DURING)


@pytest.fixture
def new_id() -> Callable[[], uuid.UUID]:
    return uuid.uuid4
