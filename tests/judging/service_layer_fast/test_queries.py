"""The reads behind judging's routes, on fakes: a contest or stage judging does not know is a 404, a
blind stage hides authors, the audit chain is verified and paged, and only closed stages publish heads."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from judging.domain import PublishedHead, StageStatus
from judging.domain.audit import record_hash
from judging.service_layer import queries
from judging.service_layer.errors import NotFound

from .fakes import AT, Entry, FakeDatabase, Juror, Stage

CONTEST = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER = uuid.UUID("00000000-0000-4000-8000-000000000002")


@pytest.fixture
def database() -> FakeDatabase:
    database = FakeDatabase()
    database.store.contests.update({CONTEST, OTHER})
    return database


def add_stage(database: FakeDatabase, position: int, **fields: Any) -> Stage:
    stage = Stage(CONTEST, position, f"Stage {position}", **fields)
    database.store.stages[stage.id] = stage
    return stage


async def test_a_contest_judging_does_not_know_has_no_stages_jury_or_log() -> None:
    database, unknown = FakeDatabase(), uuid.uuid4()
    for read in (queries.stages_of_contest, queries.jury_of, queries.closed_stage_heads):
        with pytest.raises(NotFound, match="not been announced"):
            await read(database.unit_of_work, unknown)
    with pytest.raises(NotFound):
        await queries.audit_page(database.unit_of_work, unknown, 0, 10)
    verdict = await queries.audit_verification(database.unit_of_work, unknown, contest_must_exist=False)
    assert (verdict.records, verdict.first_broken, verdict.heads) == (0, None, [])


async def test_stages_come_in_their_order_and_a_stage_of_another_contest_is_not_found(
    database: FakeDatabase,
) -> None:
    second, first = add_stage(database, 2), add_stage(database, 1)
    assert [s.id for s in await queries.stages_of_contest(database.unit_of_work, CONTEST)] == [
        first.id,
        second.id,
    ]
    assert (await queries.one_stage(database.unit_of_work, CONTEST, second.id)).name == "Stage 2"
    with pytest.raises(NotFound, match="has no stage"):
        await queries.one_stage(database.unit_of_work, OTHER, second.id)


async def test_a_juror_sees_their_entries_marked_scored_and_no_authors_in_a_blind_stage(
    database: FakeDatabase,
) -> None:
    juror = Juror(CONTEST, "Анна")
    authors = [{"full_name": "Иван", "library": "ЦБС", "territory_code": "kem"}]
    mine = [Entry(CONTEST, title, authors=authors) for title in ("Б", "А")]
    theirs = Entry(CONTEST, "В", authors=authors)
    for entry in (*mine, theirs):
        database.store.entries[entry.id] = entry
    open_stage, blind = add_stage(database, 1), add_stage(database, 2, blind=True)
    for stage in (open_stage, blind):
        database.store.assignments |= {(stage.id, juror.id, e.id) for e in mine}
    database.store.scores.add((open_stage.id, juror.id, mine[0].id))

    listed = await queries.entries_assigned(database.unit_of_work, juror, CONTEST, open_stage.id)
    assert [(e.title, e.scored, e.authors) for e in listed] == [("А", False, authors), ("Б", True, authors)]
    hidden = await queries.entries_assigned(database.unit_of_work, juror, CONTEST, blind.id)
    assert [(e.title, e.scored, e.authors) for e in hidden] == [("А", False, None), ("Б", False, None)]


async def test_the_audit_log_is_paged_with_its_actor_and_verified_against_its_head(
    database: FakeDatabase,
) -> None:
    database.store.append(CONTEST, "juror_registered", {"name": "Анна", "actor": "Мария"})
    database.store.append(CONTEST, "stage_declared", {"name": "Отбор"})
    page, total = await queries.audit_page(database.unit_of_work, CONTEST, 1, 5)
    assert total == 2 and [(r.sequence, r.actor, r.details) for r in page] == [
        (2, "system", {"name": "Отбор"})
    ]
    first, _ = await queries.audit_page(database.unit_of_work, CONTEST, 0, 1)
    assert (first[0].actor, first[0].details) == ("Мария", {"name": "Анна"})
    verdict = await queries.audit_verification(database.unit_of_work, CONTEST)
    assert (verdict.records, verdict.first_broken, verdict.intact) == (2, None, True)

    database.store.audit[CONTEST][0].payload = '{"name":"Пётр"}'
    verdict = await queries.audit_verification(database.unit_of_work, CONTEST)
    assert (verdict.records, verdict.first_broken, verdict.intact) == (2, 1, False)


async def test_only_closed_stages_publish_the_head_kept_at_their_close_in_order(
    database: FakeDatabase,
) -> None:
    closed = database.store.append(CONTEST, "stage_closed", {"stage_id": "review"})
    review = add_stage(
        database,
        1,
        status=StageStatus.CLOSED,
        closed_at=AT,
        audit_head_records=closed.sequence,
        audit_head_hash=closed.hash,
    )
    final = add_stage(database, 2, status=StageStatus.OPEN)
    database.store.append(CONTEST, "stage_opened", {"stage_id": str(final.id)})

    heads = await queries.closed_stage_heads(database.unit_of_work, CONTEST)
    assert [(h.stage_id, h.stage_name, h.hash, h.records) for h in heads] == [
        (review.id, "Stage 1", closed.hash, 1)
    ]
    assert database.transactions == 1


async def test_the_verification_checks_each_published_head_and_the_heads_given(
    database: FakeDatabase,
) -> None:
    for n in range(3):
        database.store.append(CONTEST, "score_recorded", {"n": n})
    closed = database.store.append(CONTEST, "stage_closed", {"stage_id": "review"})
    add_stage(
        database,
        1,
        status=StageStatus.CLOSED,
        closed_at=AT,
        audit_head_records=closed.sequence,
        audit_head_hash=closed.hash,
    )
    database.store.append(CONTEST, "juror_registered", {"name": "Анна"})
    given, published = PublishedHead(3, database.store.audit[CONTEST][2].hash), closed.hash

    verdict = await queries.audit_verification(database.unit_of_work, CONTEST, [given], "f" * 64)
    assert verdict.first_broken == 5, "the last record has another hash than the one given"
    assert [(h.stage_name, h.records, h.passed) for h in verdict.heads] == [
        ("Stage 1", 4, True),
        (None, 3, True),
        (None, 5, False),
    ]

    # a rewrite of record 2 re-hashed to the end (the stored head moved along): only the heads tell
    log = database.store.audit[CONTEST]
    previous = log[0].hash
    for record in log[1:]:
        if record.sequence == 2:
            record.payload = '{"n":99}'
        record.previous_hash = previous
        record.hash = previous = record_hash(previous, record.sequence, record.kind, record.payload)
    database.store.heads[CONTEST] = (5, previous)
    verdict = await queries.audit_verification(database.unit_of_work, CONTEST, [given])
    assert verdict.first_broken == 3
    assert [(h.records, h.first_broken) for h in verdict.heads] == [(4, 4), (3, 3)]
    heads = await queries.closed_stage_heads(database.unit_of_work, CONTEST)
    assert [(h.records, h.hash) for h in heads] == [(4, published)], "what was published stays"
