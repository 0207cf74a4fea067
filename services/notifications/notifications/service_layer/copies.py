"""Keeping this service's copies of contests and entries up to date from events.

Each function applies one event to the copies and returns the `ContestView` the planner needs for it
(holding only the entries the event names). An event that refers to a contest or an entry not seen
yet raises `RetryLater`: events on different streams arrive in any order, and the consumer tries again
later, then dead-letters with the reason. Entries compare revisions, so an older revision arriving late
never overwrites a newer one and never brings a withdrawn entry back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaleidoscope_shared.bus.consumer import RetryLater
from kaleidoscope_shared.contracts import (
    ContestAnnounced,
    ContestFinished,
    EntrySubmitted,
    EntryUpdated,
    EntryWithdrawn,
    JurorAssigned,
    StageClosed,
    StageOpened,
    SubmissionsClosed,
    WinnerDeclared,
)

from ..adapters.copies import author_record, contest_view, entries_by_id, organiser_record
from ..adapters.tables import ContestCopy, EntryCopy
from ..domain import ContestView


async def record_contest(session: AsyncSession, event: ContestAnnounced) -> ContestView:
    contest = await session.get(ContestCopy, event.contest_id) or ContestCopy(
        contest_id=event.contest_id, title=event.title
    )
    contest.title = event.title
    contest.nominations = {n.code: n.title for n in event.nominations}
    contest.organisers = [organiser_record(o) for o in event.organisers]
    contest.contact = event.contact
    session.add(contest)
    return contest_view(contest, [])


async def known_contest(session: AsyncSession, contest_id: uuid.UUID, what: str) -> ContestCopy:
    contest = await session.get(ContestCopy, contest_id)
    if contest is None:
        raise RetryLater(f"{what} refers to contest {contest_id}, which has not been announced to us yet")
    return contest


async def known_entries(
    session: AsyncSession, ids: Iterable[uuid.UUID], what: str, *, include_withdrawn: bool = False
) -> list[EntryCopy]:
    ids = list(ids)
    found = await entries_by_id(session, ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise RetryLater(f"{what} refers to entries not seen yet: {shown}")
    return [row for row in found.values() if include_withdrawn or not row.withdrawn]


async def record_entry(session: AsyncSession, event: EntrySubmitted | EntryUpdated) -> ContestView:
    contest = await known_contest(session, event.contest_id, type(event).__name__)
    row = await session.get(EntryCopy, event.entry_id)
    if row is None or (event.revision > row.revision and not row.withdrawn):
        row = row or EntryCopy(
            entry_id=event.entry_id, contest_id=event.contest_id, revision=0, title="", nomination_code=""
        )
        row.revision, row.title, row.nomination_code = event.revision, event.title, event.nomination_code
        row.authors = [author_record(a) for a in event.authors]
        if isinstance(event, EntrySubmitted) and event.private_link:
            row.private_link = event.private_link
        session.add(row)
    elif isinstance(event, EntrySubmitted) and event.private_link and not row.private_link:
        row.private_link = event.private_link
    return contest_view(contest, [] if row.withdrawn else [row])


async def record_withdrawal(session: AsyncSession, event: EntryWithdrawn) -> ContestView:
    contest = await known_contest(session, event.contest_id, "EntryWithdrawn")
    [row] = await known_entries(session, [event.entry_id], "EntryWithdrawn", include_withdrawn=True)
    if event.revision >= row.revision:
        row.revision, row.withdrawn = event.revision, True
        session.add(row)
    return contest_view(contest, [row])


async def view_for_closing(session: AsyncSession, event: SubmissionsClosed) -> ContestView:
    contest = await known_contest(session, event.contest_id, "SubmissionsClosed")
    entries = await known_entries(session, [ref.entry_id for ref in event.entries], "SubmissionsClosed")
    return contest_view(contest, entries)


async def view_for_stage(session: AsyncSession, event: StageOpened | JurorAssigned) -> ContestView:
    contest = await known_contest(session, event.contest_id, type(event).__name__)
    entries = await known_entries(session, event.entry_ids, type(event).__name__)
    return contest_view(contest, entries)


async def view_for_reminder(session: AsyncSession, event: Any) -> ContestView:
    """Judging's reminder (JurorReminderDue): the stage's unscored entries for one juror."""
    contest = await known_contest(session, event.contest_id, "JurorReminderDue")
    entries = await known_entries(session, event.missing_entry_ids, "JurorReminderDue")
    return contest_view(contest, entries)


async def record_stage_closed(session: AsyncSession, event: StageClosed) -> ContestView:
    """Finalists are the entries a non-final stage advanced; the final's date and place are kept."""
    contest = await known_contest(session, event.contest_id, "StageClosed")
    entries = await known_entries(session, [r.entry_id for r in event.results], "StageClosed")
    if not event.is_last:
        advanced = {r.entry_id for r in event.results if r.advanced}
        for row in entries:
            row.finalist = row.entry_id in advanced
            session.add(row)
    contest.final_date = event.final_date or contest.final_date
    contest.final_place = event.final_place or contest.final_place
    session.add(contest)
    return contest_view(contest, entries)


async def record_winners(session: AsyncSession, event: WinnerDeclared) -> ContestView:
    contest = await known_contest(session, event.contest_id, "WinnerDeclared")
    places = {p.entry_id: p.place for p in event.placements}
    entries = await known_entries(session, places, "WinnerDeclared")
    for row in entries:
        row.place = places[row.entry_id]
        session.add(row)
    return contest_view(contest, entries)


async def view_for_finish(session: AsyncSession, event: ContestFinished) -> ContestView:
    """Waits for every winner's WinnerDeclared: the winner's diploma needs the place."""
    contest = await known_contest(session, event.contest_id, "ContestFinished")
    ids = list(dict.fromkeys([*event.participant_entry_ids, *event.winner_entry_ids]))
    entries = await known_entries(session, ids, "ContestFinished")
    unplaced = [str(e.entry_id) for e in entries if e.entry_id in event.winner_entry_ids and e.place is None]
    if unplaced:
        raise RetryLater(
            f"ContestFinished names winners whose WinnerDeclared is not here yet: {unplaced[:5]}"
        )
    return contest_view(contest, entries)
