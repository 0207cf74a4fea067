"""Keeping judging's copy of the entries, from submissions' events, in revision order.

Streams are separate, so an EntryWithdrawn may arrive before the EntrySubmitted it follows: each
change is applied only if its revision is newer than the copy's, and a withdrawal is remembered so
that an older submission can't resurrect the entry.
"""

from __future__ import annotations

from kaleidoscope_shared.bus.consumer import EventContext
from kaleidoscope_shared.contracts import EntrySubmitted, EntryUpdated, EntryWithdrawn

from ..adapters.tables import EntryCopy


async def record_entry(ctx: EventContext, event: EntrySubmitted | EntryUpdated) -> None:
    entry = await ctx.session.get(EntryCopy, event.entry_id)
    if entry is None:
        ctx.session.add(
            EntryCopy(
                id=event.entry_id,
                contest_id=event.contest_id,
                nomination_code=event.nomination_code,
                title=event.title,
                revision=event.revision,
            )
        )
    elif event.revision > entry.revision and not entry.withdrawn:
        entry.nomination_code, entry.title, entry.revision = (
            event.nomination_code,
            event.title,
            event.revision,
        )


async def withdraw_entry(ctx: EventContext, event: EntryWithdrawn) -> None:
    entry = await ctx.session.get(EntryCopy, event.entry_id)
    if entry is None:  # seen before its submission: keep a tombstone at this revision
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
