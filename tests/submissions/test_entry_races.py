"""Concurrent requests racing for an author's last place in a nomination, or for the same title, on
SQLite and PostgreSQL: the unique indexes of entry_author_keys let exactly as many through as the
rules allow, and every other request gets the problem of the rule it would have broken.

Each request runs in its own session and transaction (no lock of this process in between, as if the
requests came to different processes), over a schema built by the migrations.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from kaleidoscope_shared.bus.outbox import Outbox
from kaleidoscope_shared.db import create_engine, session_factory
from kaleidoscope_shared.migrations import upgrade_to_head
from submissions.adapters.storage import LocalDiskStorage
from submissions.adapters.tables import BUS_TABLES, EntryAuthorKeyRow, EntryRow
from submissions.adapters.unit_of_work import sql_unit_of_work
from submissions.domain import Contest, ContestRules, FixedClock
from submissions.domain.errors import DuplicateEntry, EntryLimitReached
from submissions.service_layer import entries as use_cases
from submissions.service_layer.context import SubmissionsContext
from submissions.service_layer.errors import EntryChangedMeanwhile
from submissions.service_layer.views import EntryReceipt

from .conftest import DURING, make_author, make_content, make_contest

RACERS = 20


@dataclass
class Database:
    context: SubmissionsContext
    sessions: Any

    async def add_contest(self, contest: Contest) -> Contest:
        async with self.context.unit_of_work() as uow:
            await uow.repository.add_contest(contest, DURING)
        return contest

    async def count(self, model: Any, **where: Any) -> int:
        async with self.sessions() as session:
            conditions = [getattr(model, name) == value for name, value in where.items()]
            return int(await session.scalar(select(func.count()).select_from(model).where(*conditions)))


@pytest.fixture
def migrated(database_url: str) -> str:
    upgrade_to_head("submissions", database_url)
    return database_url


@pytest.fixture
async def database(migrated: str, tmp_path: Path) -> AsyncIterator[Database]:
    engine = create_engine(migrated)
    sessions = session_factory(engine)
    context = SubmissionsContext(
        # no lock of this process around transactions: every request is on its own, as across processes
        unit_of_work=sql_unit_of_work(
            sessions, Outbox(BUS_TABLES, producer="submissions"), one_at_a_time=False
        ),
        clock=FixedClock(DURING),
        storage=LocalDiskStorage(tmp_path / "files"),
        public_base_url="https://contest.example.org",
        grant_key="grant-key-for-the-race-tests",
    )
    yield Database(context, sessions)
    await engine.dispose()


async def race(database: Database, contest: Contest, contents: Sequence[Any]) -> list[Any]:
    """Every submission at once, each in its own transaction: receipts and refusals, in order."""
    return await asyncio.gather(
        *(use_cases.submit_entry(database.context, contest.id, content) for content in contents),
        return_exceptions=True,
    )


def accepted(outcomes: list[Any]) -> list[EntryReceipt]:
    return [o for o in outcomes if isinstance(o, EntryReceipt)]


def refused(outcomes: list[Any]) -> list[BaseException]:
    return [o for o in outcomes if not isinstance(o, EntryReceipt)]


def limit(n: int) -> ContestRules:
    return ContestRules(max_entries_per_author_per_nomination=n)


async def test_one_author_racing_for_the_only_place_in_a_nomination_gets_it_once(database: Database) -> None:
    contest = await database.add_contest(make_contest(rules=limit(1)))
    outcomes = await race(database, contest, [make_content(title=f"Практика {i}") for i in range(RACERS)])
    assert len(accepted(outcomes)) == 1, refused(outcomes)
    assert all(isinstance(o, EntryLimitReached) for o in refused(outcomes)), refused(outcomes)
    assert await database.count(EntryRow, contest_id=contest.id) == 1


async def test_a_limit_of_three_lets_exactly_three_racing_entries_through(database: Database) -> None:
    contest = await database.add_contest(make_contest(rules=limit(3)))
    outcomes = await race(database, contest, [make_content(title=f"Практика {i}") for i in range(RACERS)])
    assert len(accepted(outcomes)) == 3, refused(outcomes)
    assert all(isinstance(o, EntryLimitReached) for o in refused(outcomes)), refused(outcomes)
    assert await database.count(EntryRow, contest_id=contest.id) == 3


async def test_the_same_title_by_the_same_author_sent_many_times_at_once_is_stored_once(
    database: Database,
) -> None:
    contest = await database.add_contest(make_contest(rules=limit(RACERS)))
    # the same author under e-mails that differ only in case and spacing, in either nomination
    contents = [
        make_content(
            nomination_code=("service-guide", "idea-generator")[i % 2],
            authors=(
                make_author(email="  O.Zavodisker@EXAMPLE.org" if i % 3 else "o.zavodisker@example.org"),
            ),
        )
        for i in range(RACERS)
    ]
    outcomes = await race(database, contest, contents)
    [winner] = accepted(outcomes)
    duplicates = [o for o in refused(outcomes) if isinstance(o, DuplicateEntry)]
    assert len(duplicates) == RACERS - 1, refused(outcomes)
    assert {o.existing_entry_id for o in duplicates} == {winner.id}


async def test_namesakes_racing_for_one_place_each_both_get_it(database: Database) -> None:
    contest = await database.add_contest(make_contest(rules=limit(1)))
    namesakes = [make_author(email=f"zavodisker.{i}@example.org") for i in range(RACERS)]
    outcomes = await race(database, contest, [make_content(authors=(a,)) for a in namesakes])
    assert len(accepted(outcomes)) == RACERS, refused(outcomes)


async def test_a_withdrawn_entry_frees_its_place_and_title_for_one_of_the_racers(database: Database) -> None:
    contest = await database.add_contest(make_contest(rules=limit(1)))
    [first] = accepted(await race(database, contest, [make_content()]))
    await use_cases.withdraw_entry(database.context, first.id, first.token, "нашла ошибку")
    assert await database.count(EntryAuthorKeyRow, entry_id=first.id) == 0
    outcomes = await race(database, contest, [make_content() for _ in range(RACERS)])
    assert len(accepted(outcomes)) == 1, refused(outcomes)
    assert all(isinstance(o, DuplicateEntry | EntryLimitReached) for o in refused(outcomes))


async def test_entries_edited_at_once_into_a_nomination_with_one_place_left_move_one_at_a_time(
    database: Database,
) -> None:
    contest = await database.add_contest(make_contest(rules=limit(2)))
    placed = [("service-guide", "Первая"), ("idea-generator", "Вторая"), ("idea-generator", "Третья")]
    contents = [make_content(nomination_code=nomination, title=title) for nomination, title in placed]
    receipts = [accepted(await race(database, contest, [content]))[0] for content in contents]
    moves = {"nomination_code": "service-guide"}
    outcomes = await asyncio.gather(
        *(use_cases.edit_entry(database.context, r.id, r.token, moves) for r in receipts[1:] * 5),
        return_exceptions=True,
    )
    # the same entry edited twice at once: one edit wins, the other is told to reload it
    expected = EntryLimitReached | EntryChangedMeanwhile
    assert all(isinstance(o, expected) or not isinstance(o, BaseException) for o in outcomes), outcomes
    async with database.sessions() as session:
        stored = (await session.scalars(select(EntryRow).where(col(EntryRow.contest_id) == contest.id))).all()
    assert sorted(row.nomination_code for row in stored) == [
        "idea-generator",
        "service-guide",
        "service-guide",
    ]
