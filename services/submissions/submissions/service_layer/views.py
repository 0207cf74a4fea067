"""What the use cases hand back to their callers: entries as a participant or organiser sees them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ..adapters.rows import row_to_entry
from ..adapters.tables import EntryRow
from ..domain.entry import Entry, EntryContent


class EntryView(BaseModel):
    """An entry at its latest revision, with where it stands in judging (`progress`)."""

    id: uuid.UUID
    contest_id: uuid.UUID
    revision: int
    status: str
    progress: str = "submitted"
    progress_detail: dict[str, Any] = {}
    content: EntryContent
    submitted_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None
    documents_grant: str | None = None
    """For the entry's participant once results are announced: the grant (an hour) with which
    notifications lists and serves the entry's letters and diplomas; null otherwise."""

    @classmethod
    def of(cls, entry: Entry, row: EntryRow | None = None) -> EntryView:
        return cls(
            id=entry.id,
            contest_id=entry.contest_id,
            revision=entry.revision,
            status=entry.status.value,
            progress=row.progress if row else "submitted",
            progress_detail=row.progress_detail if row else {},
            content=entry.content,
            submitted_at=entry.submitted_at,
            updated_at=entry.updated_at,
            withdrawn_at=entry.withdrawn_at,
            withdrawal_reason=entry.withdrawal_reason,
        )

    @classmethod
    def of_row(cls, row: EntryRow) -> EntryView:
        return cls.of(row_to_entry(row), row)


class EntryReceipt(EntryView):
    """The answer to a submission: the entry, and the private link (shown this once) to reach it."""

    token: str
    private_link: str


class RevisionView(BaseModel):
    """One revision of an entry: when it was made, which content fields it changed (none for the
    first; `status` for a withdrawal), and the title it had then."""

    revision: int
    at: datetime
    changed: list[str]
    title: str


class EntryHistory(BaseModel):
    entry_id: uuid.UUID
    revisions: list[RevisionView]
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None
