"""Use cases on entries: each changes the database and stages its event in one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kaleidoscope_shared.contracts import Author, EntrySubmitted
from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import EntryRow
from .commands import SubmitEntry


async def submit_entry(runtime: ServiceRuntime, command: SubmitEntry) -> EntryRow:
    """Record a new entry (revision 1) and emit EntrySubmitted."""
    now = datetime.now(UTC)
    entry = EntryRow(
        id=uuid.uuid4(),
        contest_id=command.contest_id,
        nomination_code=command.nomination_code,
        title=command.title,
        annotation=command.annotation,
        authors=[author.model_dump(mode="json") for author in command.authors],
        submitted_at=now,
    )
    async with runtime.sessions() as session, session.begin():
        session.add(entry)
        await runtime.outbox.add(
            session,
            EntrySubmitted(
                entry_id=entry.id,
                contest_id=entry.contest_id,
                revision=entry.revision,
                nomination_code=entry.nomination_code,
                title=entry.title,
                annotation=entry.annotation,
                authors=[Author.model_validate(a) for a in entry.authors],
                submitted_at=now,
            ),
            contest_id=entry.contest_id,
        )
    return entry
