"""The use cases on fakes: each change commits its state and its event together, or neither."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from kaleidoscope_shared.contracts import ContestAnnounced, EntrySubmitted, EntryUpdated, SubmissionsClosed
from submissions.domain import ContestStatus, FixedClock, hash_entry_token
from submissions.domain.errors import ContestStateConflict, DuplicateEntry, UnknownNomination
from submissions.service_layer import contests, entries
from submissions.service_layer.context import SubmissionsContext
from submissions.service_layer.entries import IdempotencyKey
from submissions.service_layer.errors import EntryChangedMeanwhile

from ..conftest import CLOSES, make_content, make_contest
from .fakes import FakeDatabase, fake_context


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def ctx(database: FakeDatabase, clock: FixedClock, tmp_path: Path) -> SubmissionsContext:
    return fake_context(database, clock, tmp_path)


async def published(ctx: SubmissionsContext) -> object:
    draft = await contests.create_contest(ctx, make_contest())
    return (await contests.publish_contest(ctx, draft.id)).id


async def test_a_contest_is_created_as_a_draft_whatever_status_it_came_with(ctx: SubmissionsContext) -> None:
    contest = await contests.create_contest(ctx, make_contest(status=ContestStatus.RESULTS))
    assert contest.status is ContestStatus.DRAFT and contest.published_at is None


async def test_publishing_twice_announces_the_contest_once(
    ctx: SubmissionsContext, database: FakeDatabase
) -> None:
    contest_id = await published(ctx)
    with pytest.raises(ContestStateConflict):
        await contests.publish_contest(ctx, contest_id)  # type: ignore[arg-type]
    assert [e.contest_id for e in database.events_of(ContestAnnounced)] == [contest_id]


async def test_losing_the_publish_race_emits_nothing(ctx: SubmissionsContext, database: FakeDatabase) -> None:
    draft = await contests.create_contest(ctx, make_contest())
    database.repository.lose_next_race = True
    with pytest.raises(ContestStateConflict):
        await contests.publish_contest(ctx, draft.id)
    assert database.events_of(ContestAnnounced) == []


async def test_a_submission_keeps_only_the_tokens_hash_and_announces_the_private_link(
    ctx: SubmissionsContext, database: FakeDatabase
) -> None:
    contest_id = await published(ctx)
    receipt = await entries.submit_entry(ctx, contest_id, make_content())  # type: ignore[arg-type]
    stored = database.store.entries[receipt.id]
    assert stored.token_sha256 == hash_entry_token(receipt.token)
    assert receipt.token not in stored.model_dump_json()
    [event] = database.events_of(EntrySubmitted)
    assert event.private_link == f"https://contest.example.org/entries/{receipt.id}?token={receipt.token}"
    assert event.revision == 1


async def test_a_refused_submission_stores_and_emits_nothing(
    ctx: SubmissionsContext, database: FakeDatabase
) -> None:
    contest_id = await published(ctx)
    with pytest.raises(UnknownNomination):
        await entries.submit_entry(ctx, contest_id, make_content(nomination_code="nope"))  # type: ignore[arg-type]
    assert database.store.entries == {} and database.events_of(EntrySubmitted) == []


async def test_a_replayed_key_answers_the_first_receipt_without_a_second_event(
    ctx: SubmissionsContext, database: FakeDatabase
) -> None:
    contest_id = await published(ctx)
    content = make_content()
    key = IdempotencyKey.of("k-1", contest_id, content)  # type: ignore[arg-type]
    first = await entries.submit_entry(ctx, contest_id, content, key)  # type: ignore[arg-type]
    second = await entries.submit_entry(ctx, contest_id, content, key)  # type: ignore[arg-type]
    assert second == first
    assert len(database.store.entries) == 1 and len(database.events_of(EntrySubmitted)) == 1
    with pytest.raises(DuplicateEntry):
        await entries.submit_entry(ctx, contest_id, content)  # type: ignore[arg-type]


async def test_an_edit_that_loses_a_race_is_refused_and_emits_nothing(
    ctx: SubmissionsContext, database: FakeDatabase
) -> None:
    contest_id = await published(ctx)
    receipt = await entries.submit_entry(ctx, contest_id, make_content())  # type: ignore[arg-type]
    database.repository.lose_next_race = True
    with pytest.raises(EntryChangedMeanwhile):
        await entries.edit_entry(ctx, receipt.id, receipt.token, {"title": "Новое"})
    assert database.store.entries[receipt.id].revision == 1
    assert database.events_of(EntryUpdated) == []
    edited = await entries.edit_entry(ctx, receipt.id, receipt.token, {"title": "Новое"})
    assert edited.revision == 2 and [e.revision for e in database.events_of(EntryUpdated)] == [2]


async def test_the_scheduler_closes_only_due_contests_and_skips_ones_closed_by_others(
    ctx: SubmissionsContext, database: FakeDatabase, clock: FixedClock
) -> None:
    contest_id = await published(ctx)
    late = await contests.create_contest(
        ctx,
        make_contest(
            window=make_contest().window.model_copy(update={"closes_at": CLOSES + timedelta(days=30)})
        ),
    )
    await contests.publish_contest(ctx, late.id)
    assert await contests.close_due_submissions(ctx) == []
    clock.set(CLOSES)
    database.repository.lose_next_race = True  # this tick loses the conditional update to another worker
    assert await contests.close_due_submissions(ctx) == []
    assert database.events_of(SubmissionsClosed) == []
    [closure] = await contests.close_due_submissions(ctx)
    assert closure.contest_id == contest_id and closure.closed_by == "deadline"
    assert await contests.close_due_submissions(ctx) == []
    assert len(database.events_of(SubmissionsClosed)) == 1
    assert database.store.contests[late.id].status is ContestStatus.PUBLISHED
