"""The seed contest reproduces the report: 34 entries from 10 city districts and 9 municipal districts."""

from __future__ import annotations

from collections import Counter

import pytest

from submissions.domain import Contest, Entry, TerritoryKind, contest_statistics, withdraw_entry
from submissions.domain.clock import FixedClock
from submissions.domain.integration_events import contest_announced, entry_submitted
from submissions.domain.tokens import token_matches

from .seed import load_seed_contest, load_seed_entries, seed_entry_token


@pytest.fixture(scope="module")
def seed() -> tuple[Contest, list[Entry]]:
    contest = load_seed_contest()
    return contest, load_seed_entries(contest)


def test_the_seed_has_19_territories_10_city_and_9_municipal_districts(seed) -> None:
    contest, _ = seed
    kinds = Counter(t.kind for t in contest.territories)
    assert kinds == {TerritoryKind.CITY_DISTRICT: 10, TerritoryKind.MUNICIPAL_DISTRICT: 9}
    assert [n.code for n in contest.nominations] == [
        "service-guide",
        "information-collection",
        "idea-generator",
    ]
    assert [n.title for n in contest.nominations] == [
        "Сервис гид",
        "Информационная коллекция",
        "Генератор идей",
    ]


def test_seed_statistics_count_34_entries_from_10_city_and_9_municipal_districts(seed) -> None:
    stats = contest_statistics(*seed)
    assert stats.entry_count == 34
    assert stats.territories_by_kind == {TerritoryKind.CITY_DISTRICT: 10, TerritoryKind.MUNICIPAL_DISTRICT: 9}
    assert stats.entries_by_nomination == {
        "service-guide": 12,
        "information-collection": 11,
        "idea-generator": 11,
    }
    assert stats.summary_ru() == "34 работы из 10 городских округов и 9 муниципальных районов"


def test_every_seed_territory_has_at_least_one_entry(seed) -> None:
    contest, entries = seed
    stats = contest_statistics(contest, entries)
    assert set(stats.entries_by_territory) == contest.territory_codes


def test_the_three_winners_entries_are_in_the_seed(seed) -> None:
    _, entries = seed
    by_title = {e.content.title: e for e in entries}
    expected = {
        "Рюкзачок знаний": ("Заводискер Оксана Юрьевна", "belovo-city", "service-guide"),
        "Красная книга Чебулинского района": (
            "Малышева Ксения Олеговна",
            "chebulinsky-district",
            "information-collection",
        ),
        "Творим историю вместе": ("Протопопова Елена Эдуардовна", "novokuznetsk-city", "idea-generator"),
    }
    for title, (name, territory, nomination) in expected.items():
        entry = by_title[title]
        assert entry.content.authors[0].full_name == name
        assert entry.content.authors[0].territory_code == territory
        assert entry.content.nomination_code == nomination


def test_fictional_seed_authors_have_addresses_at_example_org(seed) -> None:
    _, entries = seed
    emails = [a.email for e in entries for a in e.content.authors if a.email]
    assert len(emails) == len(set(emails)) >= 30
    assert all(email.endswith("@example.org") for email in emails)


def test_statistics_leave_out_withdrawn_entries(seed) -> None:
    contest, entries = seed
    osinniki = next(e for e in entries if e.content.authors[0].territory_code == "osinniki-city")
    clock = FixedClock(contest.window.opens_at)
    rest = [withdraw_entry(contest, e, "тест", clock=clock) if e is osinniki else e for e in entries]
    stats = contest_statistics(contest, rest)
    assert stats.entry_count == 33
    assert stats.territories_by_kind[TerritoryKind.CITY_DISTRICT] == 9
    assert stats.summary_ru() == "33 работы из 9 городских округов и 9 муниципальных районов"


def test_seed_entries_open_with_their_derived_demo_token(seed) -> None:
    _, entries = seed
    assert token_matches(seed_entry_token(entries[0].id), entries[0].token_sha256)


def test_the_seed_maps_onto_the_integration_contracts(seed) -> None:
    contest, entries = seed
    announced = contest_announced(contest)
    assert len(announced.territories) == 19
    assert announced.submissions_close_at == contest.window.closes_at
    submitted = [entry_submitted(e) for e in entries]
    assert {s.revision for s in submitted} == {1}
    assert submitted[0].authors[0].full_name == "Заводискер Оксана Юрьевна"
