"""Keeping judging's copy of contests and entries, from submissions' events, in revision order.

The entry copy is what a juror reads (the annotation, links and the attachments' descriptions too);
the files themselves stay in submissions, which serves one to a juror holding judging's grant.

Streams are separate, so an EntryWithdrawn may arrive before the EntrySubmitted it follows: each
change is applied only if its revision is newer than the copy's, and a withdrawal is remembered (a
tombstone) so that an older submission can't resurrect the entry. Entries are kept even before their
contest is announced; SubmissionsClosed waits (RetryLater) for the contest and for every entry it
lists at that entry's revision, then freezes stage 1's entry list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import col

from kaleidoscope_shared.bus.consumer import EventContext, RetryLater
from kaleidoscope_shared.contracts import (
    ContestAmended,
    ContestAnnounced,
    EntrySubmitted,
    EntryUpdated,
    EntryWithdrawn,
    SubmissionsClosed,
)

from ..adapters.tables import ContestCopy, EntryCopy
from .audit import start_chain


async def record_contest(ctx: EventContext, event: ContestAnnounced) -> None:
    """A contest's nominations and conflict rules; announcing it again updates them, unless an
    amendment (a later revision) is already known."""
    await _keep_contest(ctx, event, revision=1)


async def amend_contest(ctx: EventContext, event: ContestAmended) -> None:
    """An amended contest: the copy takes it if its revision is the highest seen (streams are
    separate: an amendment may come before the announcement, or two amendments out of order)."""
    await _keep_contest(ctx, event, revision=event.revision)


async def _keep_contest(ctx: EventContext, event: ContestAnnounced | ContestAmended, revision: int) -> None:
    contest = await ctx.session.get(ContestCopy, event.contest_id)
    nominations = {n.code: n.title for n in event.nominations}
    rules: list[str] = sorted(set(event.conflict_rules))
    if contest is None:
        ctx.session.add(
            ContestCopy(
                id=event.contest_id,
                title=event.title,
                revision=revision,
                nominations=nominations,
                conflict_rules=rules,
            )
        )
        await start_chain(ctx.session, event.contest_id)
    elif revision >= contest.revision:
        contest.title, contest.nominations, contest.conflict_rules = event.title, nominations, rules
        contest.revision = revision


async def record_entry(ctx: EventContext, event: EntrySubmitted | EntryUpdated) -> None:
    """The entry at this revision, unless a newer revision (or its withdrawal) is already known.

    The whole entry a juror reads is kept: title, annotation, authors, links and the attachments'
    descriptions (key, filename, media type, size); every revision replaces all of them."""
    entry = await ctx.session.get(EntryCopy, event.entry_id)
    content: dict[str, Any] = {
        "nomination_code": event.nomination_code,
        "title": event.title,
        "revision": event.revision,
        "authors": [
            {"full_name": a.full_name, "library": a.library, "territory_code": a.territory_code}
            for a in event.authors
        ],
        "submitted_at": event.submitted_at,
        "annotation": event.annotation,
        "links": list(event.links),
        "attachments": [a.model_dump(mode="json") for a in event.attachments],
    }
    if entry is None:
        ctx.session.add(EntryCopy(id=event.entry_id, contest_id=event.contest_id, **content))
    elif event.revision > entry.revision and not entry.withdrawn:
        for name, value in content.items():
            setattr(entry, name, value)


async def withdraw_entry(ctx: EventContext, event: EntryWithdrawn) -> None:
    """Mark the entry withdrawn, or keep a tombstone if its submission has not arrived yet."""
    entry = await ctx.session.get(EntryCopy, event.entry_id)
    if entry is None:
        ctx.session.add(
            EntryCopy(
                id=event.entry_id,
                contest_id=event.contest_id,
                nomination_code="",
                title="",
                revision=event.revision,
                withdrawn=True,
            )
        )
    elif event.revision > entry.revision:
        entry.withdrawn, entry.revision = True, event.revision


async def close_submissions(ctx: EventContext, event: SubmissionsClosed) -> None:
    """Freeze stage 1's entry list: the entries SubmissionsClosed names, once all have arrived."""
    contest = await ctx.session.get(ContestCopy, event.contest_id)
    if contest is None:
        raise RetryLater(f"contest {event.contest_id} not announced yet")
    wanted = {ref.entry_id: ref.revision for ref in event.entries}
    rows = await ctx.session.execute(select(EntryCopy).where(col(EntryCopy.id).in_(list(wanted))))
    known = {e.id: e for e in rows.scalars()}
    late = [str(i) for i, revision in wanted.items() if i not in known or known[i].revision < revision]
    if late:
        raise RetryLater(f"waiting for {len(late)} entries at their listed revision, e.g. {late[0]}")
    for entry in known.values():
        entry.in_submissions_list = True
    contest.submissions_closed = True
