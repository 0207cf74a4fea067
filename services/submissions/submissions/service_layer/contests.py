"""Use cases on contests: create, publish, close submissions (by hand or at the deadline), report."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ..adapters.repository import EntryFilter
from ..adapters.rows import aware, row_to_entry
from ..adapters.tables import EntryRow
from ..domain import integration_events as events
from ..domain.amendment import Amendment, EntriesInUse
from ..domain.amendment import amend_contest as amend_domain_contest
from ..domain.amendment import move_deadline as move_domain_deadline
from ..domain.clock import now_utc
from ..domain.contest import Contest, ContestStatus
from ..domain.deadline import ClosedBy, SubmissionsClosure, final_entries
from ..domain.deadline import close_submissions as close_domain_submissions
from ..domain.entry import Entry
from ..domain.errors import ContestStateConflict, EntryNotFound
from ..domain.lifecycle import publish_contest as publish_domain_contest
from ..domain.statistics import ContestStatistics, EntryCounts, contest_statistics, entry_counts
from .context import SubmissionsContext
from .errors import ContestChangedMeanwhile, ContestNotFound
from .ports import UnitOfWork
from .views import EntryHistory, EntryView, RevisionView

IDEMPOTENCY_RETENTION = timedelta(hours=24)
EVERY_ENTRY = 1_000_000


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


async def amend_contest(
    ctx: SubmissionsContext, contest_id: uuid.UUID, changes: Mapping[str, Any]
) -> Contest:
    """Change the contest's fields (`changes`: JSON values, objects merged into the current ones).

    A published contest's change is its next revision and emits ContestAmended; a nomination or
    territory its live entries stand on keeps its code (ContestChangeBlocked). The contest row is
    locked first, so no entry arrives in a nomination between the count and the change."""
    async with ctx.unit_of_work() as uow:
        contest = await _contest(uow, contest_id, for_update=True)
        by_nomination, by_territory = await uow.repository.live_entry_counts(contest_id)
        amendment = amend_domain_contest(
            contest, changes, in_use=EntriesInUse(by_nomination, by_territory), clock=ctx.clock
        )
        await _store_amendment(ctx, uow, contest, amendment)
    return amendment.contest


async def move_deadline(
    ctx: SubmissionsContext, contest_id: uuid.UUID, closes_at: datetime, reason: str
) -> tuple[Contest, Amendment]:
    """Extend or shorten an open contest's window; ContestAmended names `submissions_close_at` and the
    deadline it replaces. The scheduler reads the deadline column, so it closes at the new one."""
    async with ctx.unit_of_work() as uow:
        contest = await _contest(uow, contest_id, for_update=True)
        amendment = move_domain_deadline(contest, closes_at, reason, clock=ctx.clock)
        await _store_amendment(ctx, uow, contest, amendment)
    return amendment.contest, amendment


async def _store_amendment(
    ctx: SubmissionsContext, uow: UnitOfWork, before: Contest, amendment: Amendment
) -> None:
    if not amendment.changed:
        return
    if not await uow.repository.save_contest(
        amendment.contest, expected_status=before.status, expected_revision=before.revision
    ):
        raise ContestChangedMeanwhile(before.id)
    if amendment.announce:
        await uow.emit(events.contest_amended(amendment, now_utc(ctx.clock)), contest_id=before.id)


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


async def statistics(
    ctx: SubmissionsContext, contest_id: uuid.UUID
) -> tuple[Contest, ContestStatistics, EntryCounts]:
    contest, entries = await contest_with_entries(ctx, contest_id)
    return contest, contest_statistics(contest, entries), entry_counts(contest, entries)


async def entry_history(ctx: SubmissionsContext, contest_id: uuid.UUID, entry_id: uuid.UUID) -> EntryHistory:
    """Every revision of one of the contest's entries (when, what changed, its title then) and its
    withdrawal; an entry of another contest is not found."""
    async with ctx.unit_of_work() as uow:
        await _contest(uow, contest_id)
        entry = await uow.repository.get_entry(entry_id)
        if entry is None or entry.contest_id != contest_id:
            raise EntryNotFound()
        rows = await uow.repository.entry_revisions(entry_id)
    return EntryHistory(
        entry_id=entry.id,
        revisions=[
            RevisionView(revision=r.revision, at=aware(r.at) or r.at, changed=list(r.changed), title=r.title)
            for r in rows
        ],
        withdrawn_at=entry.withdrawn_at,
        withdrawal_reason=entry.withdrawal_reason,
    )


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


async def filtered_entries(
    ctx: SubmissionsContext,
    contest_id: uuid.UUID,
    where: Callable[[Contest], EntryFilter],
    *,
    offset: int = 0,
    limit: int = EVERY_ENTRY,
) -> tuple[Contest, list[EntryRow], int]:
    """The contest, one page of its entries matching the filter `where` makes of it (a territory
    kind becomes the contest's territories of that kind), and how many match in all."""
    async with ctx.unit_of_work() as uow:
        contest = await _contest(uow, contest_id)
        rows, total = await uow.repository.find_entry_rows(
            contest_id, where(contest), offset=offset, limit=limit
        )
    return contest, rows, total


async def _contest(uow: UnitOfWork, contest_id: uuid.UUID, *, for_update: bool = False) -> Contest:
    contest = await uow.repository.get_contest(contest_id, for_update=for_update)
    if contest is None:
        raise ContestNotFound(contest_id)
    return contest
