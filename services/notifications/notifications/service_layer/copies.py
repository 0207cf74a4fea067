"""Keeping this service's copies of contests and entries up to date from events.

Each function applies one event to the copies and returns the `ContestView` the planner needs for it
(holding only the entries the event names). An event that refers to a contest or an entry not seen
yet raises `RetryLater`: events on different streams arrive in any order, and the consumer tries again
later, then dead-letters with the reason. A participant's private link is kept sealed, as it came
(`entrypoints/bus` seals one that came in clear first). Entries compare revisions, so an older revision arriving late
never overwrites a newer one and never brings a withdrawn entry back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from kaleidoscope_shared.bus.consumer import RetryLater
from kaleidoscope_shared.contracts import (
    ContestAmended,
    ContestAnnounced,
    ContestFinished,
    EntrySubmitted,
    EntryUpdated,
    EntryWithdrawn,
    JurorAssigned,
    JurorLinkReissued,
    StageClosed,
    StageOpened,
    SubmissionsClosed,
    WinnerDeclared,
)

from ..adapters.copies import (
    author_record,
    contest_view,
    document_records,
    entries_by_id,
    organiser_record,
)
from ..adapters.tables import ContestCopy, EntryCopy
from ..domain import ContestView


async def record_contest(session: AsyncSession, event: ContestAnnounced) -> ContestView:
    """The announcement is revision 1: it never overwrites an amendment that arrived first."""
    contest = await session.get(ContestCopy, event.contest_id)
    if contest is None or contest.revision <= 1:
        contest = _copied(session, contest, event, revision=1)
    return contest_view(contest, [])


async def record_amendment(session: AsyncSession, event: ContestAmended) -> ContestView:
    """The copy takes the amendment when it is newer than what it holds (an amendment seen before the
    announcement makes the copy). A moved deadline is told to the authors of every active entry,
    unless a later amendment, already here, has moved it again: its own message tells the newer one."""
    contest = await session.get(ContestCopy, event.contest_id)
    if contest is None or event.revision > contest.revision:
        contest = _copied(session, contest, event, revision=event.revision)
    moved = "submissions_close_at" in event.changed
    if not moved or contest.submissions_close_at != event.submissions_close_at:
        return contest_view(contest, [])
    return contest_view(contest, await active_entries(session, event.contest_id))


def _copied(
    session: AsyncSession,
    contest: ContestCopy | None,
    event: ContestAnnounced | ContestAmended,
    *,
    revision: int,
) -> ContestCopy:
    """`contest` (or a new copy) holding what `event` says the contest is; the final's date and place,
    which come from judging, are kept."""
    contest = contest or ContestCopy(contest_id=event.contest_id, title=event.title)
    contest.revision = revision
    contest.title = event.title
    contest.nominations = {n.code: n.title for n in event.nominations}
    contest.organisers = [organiser_record(o) for o in event.organisers] + document_records(
        event.full_title, event.signatories
    )
    contest.contact = event.contact
    contest.submissions_close_at = event.submissions_close_at
    session.add(contest)
    return contest


async def active_entries(session: AsyncSession, contest_id: uuid.UUID) -> list[EntryCopy]:
    """The contest's entries not withdrawn, by title (a stable order for the messages)."""
    rows = await session.execute(
        select(EntryCopy)
        .where(EntryCopy.contest_id == contest_id, col(EntryCopy.withdrawn).is_(False))
        .order_by(col(EntryCopy.title), col(EntryCopy.entry_id))
    )
    return list(rows.scalars())


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
        if isinstance(event, EntrySubmitted) and event.sealed_private_link:
            row.private_link = event.sealed_private_link
        session.add(row)
    elif isinstance(event, EntrySubmitted) and event.sealed_private_link and not row.private_link:
        row.private_link = event.sealed_private_link
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


async def view_for_juror_link(session: AsyncSession, event: JurorLinkReissued) -> ContestView:
    """A juror's new link: the contest (for the signature), no entries."""
    return contest_view(await known_contest(session, event.contest_id, "JurorLinkReissued"), [])


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
    """Places are kept; the special mentions travel again in ContestFinished, so the view only
    carries them for this event's messages."""
    contest = await known_contest(session, event.contest_id, "WinnerDeclared")
    places = {p.entry_id: p.place for p in event.placements}
    mentions = {m.entry_id: m.text for m in event.special_mentions}
    entries = await known_entries(session, [*places, *mentions], "WinnerDeclared")
    for row in entries:
        if row.entry_id in places:
            row.place = places[row.entry_id]
            session.add(row)
    return _with_mentions(contest_view(contest, entries), mentions)


def _with_mentions(view: ContestView, mentions: dict[uuid.UUID, str]) -> ContestView:
    entries = {
        entry_id: replace(entry, special_mention=mentions[entry_id]) if entry_id in mentions else entry
        for entry_id, entry in view.entries.items()
    }
    return replace(view, entries=entries)


async def view_for_finish(session: AsyncSession, event: ContestFinished) -> ContestView:
    """Waits for every winner's WinnerDeclared: the winner's diploma needs the place."""
    contest = await known_contest(session, event.contest_id, "ContestFinished")
    mentions = {m.entry_id: m.text for o in event.outcomes for m in o.special_mentions}
    ids = list(dict.fromkeys([*event.participant_entry_ids, *event.winner_entry_ids, *mentions]))
    entries = await known_entries(session, ids, "ContestFinished")
    unplaced = [str(e.entry_id) for e in entries if e.entry_id in event.winner_entry_ids and e.place is None]
    if unplaced:
        raise RetryLater(
            f"ContestFinished names winners whose WinnerDeclared is not here yet: {unplaced[:5]}"
        )
    return _with_mentions(contest_view(contest, entries), mentions)
