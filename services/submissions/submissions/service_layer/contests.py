"""Use cases on contests: create, publish, close submissions (by hand or at the deadline), report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ..adapters.repository import EntryFilter
from ..adapters.rows import row_to_entry
from ..domain import integration_events as events
from ..domain.clock import now_utc
from ..domain.contest import Contest, ContestStatus
from ..domain.deadline import ClosedBy, SubmissionsClosure, final_entries
from ..domain.deadline import close_submissions as close_domain_submissions
from ..domain.entry import Entry
from ..domain.errors import ContestStateConflict
from ..domain.lifecycle import publish_contest as publish_domain_contest
from ..domain.statistics import ContestStatistics, contest_statistics
from .context import SubmissionsContext
from .errors import ContestNotFound
from .ports import UnitOfWork
from .views import EntryView

IDEMPOTENCY_RETENTION = timedelta(hours=24)


async def create_contest(ctx: SubmissionsContext, draft: Contest) -> Contest:
    """Store a new contest as a draft; nobody but organisers sees it until it is published."""
    contest = draft.model_copy(
        update={"status": ContestStatus.DRAFT, "published_at": None, "submissions_closed_at": None}
    )
    async with ctx.unit_of_work() as uow:
        await uow.repository.add_contest(contest, now_utc(ctx.clock))
    return contest


async def get_contest(ctx: SubmissionsContext, contest_id: uuid.UUID) -> Contest:
    async with ctx.unit_of_work() as uow:
        return await _contest(uow, contest_id)


async def list_contests(ctx: SubmissionsContext, *, published_only: bool) -> list[Contest]:
    async with ctx.unit_of_work() as uow:
        return await uow.repository.list_contests(published_only=published_only)


async def publish_contest(ctx: SubmissionsContext, contest_id: uuid.UUID) -> Contest:
    """Publish a draft and emit ContestAnnounced, once even if two organisers click together."""
    async with ctx.unit_of_work() as uow:
        contest = await _contest(uow, contest_id)
        published = publish_domain_contest(contest, clock=ctx.clock)
        if not await uow.repository.change_contest_status(published, expected=ContestStatus.DRAFT):
            raise ContestStateConflict("publish the contest", "published", ContestStatus.DRAFT.value)
        await uow.emit(events.contest_announced(published), contest_id=contest_id)
    return published


async def close_submissions(
    ctx: SubmissionsContext, contest_id: uuid.UUID, closed_by: ClosedBy
) -> SubmissionsClosure:
    """Close a published contest's submissions and emit SubmissionsClosed with the final entries.

    The status changes by a conditional UPDATE before the entries are read: of several closers (an
    organiser, schedulers in many workers) exactly one wins; the others get ContestStateConflict.
    """
    async with ctx.unit_of_work() as uow:
        contest = await _contest(uow, contest_id)
        closed, _ = close_domain_submissions(contest, (), clock=ctx.clock, closed_by=closed_by)
        if not await uow.repository.change_contest_status(closed, expected=ContestStatus.PUBLISHED):
            raise ContestStateConflict("close submissions", "closed", ContestStatus.PUBLISHED.value)
        entries = [row_to_entry(row) for row in await uow.repository.all_entry_rows(contest_id)]
        assert closed.submissions_closed_at is not None
        closure = SubmissionsClosure(
            contest_id=contest_id,
            closed_at=closed.submissions_closed_at,
            closed_by=closed_by,
            entries=final_entries(closed, entries),
        )
        await uow.emit(events.submissions_closed(closure), contest_id=contest_id)
    return closure


async def close_due_submissions(ctx: SubmissionsContext) -> list[SubmissionsClosure]:
    """The scheduler's tick: close every contest whose deadline has come; others' wins are skipped."""
    async with ctx.unit_of_work() as uow:
        due = await uow.repository.contests_due(now_utc(ctx.clock))
        await uow.repository.forget_responses_before(datetime.now(UTC) - IDEMPOTENCY_RETENTION)
    closures = []
    for contest_id in due:
        try:
            closures.append(await close_submissions(ctx, contest_id, "deadline"))
        except ContestStateConflict:
            continue  # another worker (or an organiser) closed it first
    return closures


async def statistics(ctx: SubmissionsContext, contest_id: uuid.UUID) -> tuple[Contest, ContestStatistics]:
    contest, entries = await contest_with_entries(ctx, contest_id)
    return contest, contest_statistics(contest, entries)


async def contest_with_entries(ctx: SubmissionsContext, contest_id: uuid.UUID) -> tuple[Contest, list[Entry]]:
    async with ctx.unit_of_work() as uow:
        contest = await _contest(uow, contest_id)
        rows = await uow.repository.all_entry_rows(contest_id)
    return contest, [row_to_entry(row) for row in rows]


async def find_entries(
    ctx: SubmissionsContext, contest_id: uuid.UUID, where: EntryFilter, *, offset: int, limit: int
) -> tuple[list[EntryView], int]:
    async with ctx.unit_of_work() as uow:
        await _contest(uow, contest_id)
        rows, total = await uow.repository.find_entry_rows(contest_id, where, offset=offset, limit=limit)
    return [EntryView.of_row(row) for row in rows], total


async def _contest(uow: UnitOfWork, contest_id: uuid.UUID) -> Contest:
    contest = await uow.repository.get_contest(contest_id)
    if contest is None:
        raise ContestNotFound(contest_id)
    return contest
