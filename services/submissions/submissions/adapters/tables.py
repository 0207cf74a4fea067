"""The submissions service's own tables (its own metadata: it owns its database).

A contest keeps its nominations, territories, organisers and rules as JSON beside indexed columns for
what queries filter on (status, deadline). An entry keeps its whole content as JSON (what a reader gets
back) and, normalised, what queries need: its authors (territory filter, statistics), the authors'
identity keys (duplicate and per-author limit checks, backed by unique indexes) and a search document.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from kaleidoscope_shared.bus.tables import bus_tables


def _timestamp(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index))


class SubmissionsTable(SQLModel, registry=registry()):
    """Base of every table in the submissions database."""


class ContestRow(SubmissionsTable, table=True):
    __tablename__ = "contests"

    id: uuid.UUID = Field(primary_key=True)
    title: str = Field(sa_column=Column(String(500), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    contact: str = Field(default="", sa_column=Column(Text, nullable=False))
    organisers: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    nominations: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    territories: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    rules: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    window: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The window as the organisers gave it, with their UTC offset (the columns below are in UTC)."""
    time_zone: str = Field(
        default="Asia/Novokuznetsk",
        sa_column=Column(String(64), nullable=False, server_default="Asia/Novokuznetsk"),
    )
    """The contest's IANA time zone: the window is read and shown in it."""
    opens_at: datetime = _timestamp()
    closes_at: datetime = _timestamp(index=True)
    status: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    published_at: datetime | None = _timestamp(nullable=True)
    submissions_closed_at: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp()
    revision: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    """1 as published; each amendment of a published contest adds one (the revision ContestAmended carries)."""


class EntryRow(SubmissionsTable, table=True):
    __tablename__ = "entries"
    __table_args__ = (Index("ix_entries_contest_submitted", "contest_id", "submitted_at", "id"),)

    id: uuid.UUID = Field(primary_key=True)
    contest_id: uuid.UUID = Field(index=True)
    revision: int
    status: str = Field(sa_column=Column(String(32), nullable=False))
    nomination_code: str = Field(sa_column=Column(String(64), nullable=False))
    title: str = Field(sa_column=Column(String(300), nullable=False))
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    search_document: str = Field(sa_column=Column(Text, nullable=False))
    token_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    submitted_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    withdrawn_at: datetime | None = _timestamp(nullable=True)
    withdrawal_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    progress: str = Field(default="submitted", sa_column=Column(String(32), nullable=False))
    """Where the entry is in judging, from judging's events: submitted, advanced, not_advanced, winner."""
    progress_detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class EntryRevisionRow(SubmissionsTable, table=True):
    """One revision of an entry, for its history: when, which fields of its content changed (none at
    revision 1; `status` for a withdrawal), and its title then."""

    __tablename__ = "entry_revisions"

    entry_id: uuid.UUID = Field(primary_key=True)
    revision: int = Field(primary_key=True)
    contest_id: uuid.UUID = Field(index=True)
    at: datetime = _timestamp()
    changed: list[str] = Field(sa_column=Column(JSON, nullable=False))
    title: str = Field(sa_column=Column(String(300), nullable=False))


class EntryAuthorRow(SubmissionsTable, table=True):
    """One author of an entry's latest revision (the entry's content holds the same, in order)."""

    __tablename__ = "entry_authors"

    entry_id: uuid.UUID = Field(primary_key=True)
    position: int = Field(primary_key=True)
    contest_id: uuid.UUID = Field(index=True)
    full_name: str = Field(sa_column=Column(String(500), nullable=False))
    territory_code: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    email: str | None = Field(default=None, sa_column=Column(String(320), nullable=True))


class EntryAuthorKeyRow(SubmissionsTable, table=True):
    """One author of a live entry (withdrawn entries have none): finds the entries a new one may repeat,
    and makes the database itself refuse what the rules refuse, whatever requests race.

    `author_key` and `title_key` are SHA-256 digests (hex) of the author's identity key
    (`Author.identity_key`) and of the entry's folded title (`normalise_title`): fixed-length values
    for the unique indexes, however long a name or library is. `slot` is one of 1..the contest's
    limit per author and nomination, chosen by the service (`rules.choose_slots`).

    - uq_entry_author_keys_slot: one entry per slot of an author in a nomination, so no more than
      the limit of an author's entries can be stored in a nomination;
    - uq_entry_author_keys_title: one live entry per title and author in a contest (duplicates).
    """

    __tablename__ = "entry_author_keys"
    __table_args__ = (
        UniqueConstraint(
            "contest_id", "nomination_code", "author_key", "slot", name="uq_entry_author_keys_slot"
        ),
        UniqueConstraint("contest_id", "author_key", "title_key", name="uq_entry_author_keys_title"),
    )

    entry_id: uuid.UUID = Field(primary_key=True)
    author_key: str = Field(sa_column=Column(String(64), primary_key=True))
    contest_id: uuid.UUID
    nomination_code: str = Field(sa_column=Column(String(64), nullable=False))
    title_key: str = Field(sa_column=Column(String(64), nullable=False))
    slot: int = Field(sa_column=Column(Integer, nullable=False))


class AttachmentRow(SubmissionsTable, table=True):
    """A stored file, uploaded for a contest before the entry that references it.

    Until an entry lists it, a file is pending: `entry_id` is null, `unreferenced_since` says since
    when (its upload, or the edit that dropped it) and `uploaded_by` which client address sent it, for
    the quotas on pending files; the worker deletes it once `unreferenced_since` is older than the
    grace period. The entry that lists it claims it (`entry_id` set, the other two cleared: the
    address is kept no longer than the quota needs it); no other entry may list it then.
    """

    __tablename__ = "attachments"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    contest_id: uuid.UUID = Field(index=True)
    filename: str = Field(sa_column=Column(String(500), nullable=False))
    media_type: str = Field(sa_column=Column(String(200), nullable=False))
    size_bytes: int = Field(sa_column=Column(Integer, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    uploaded_at: datetime = _timestamp()
    entry_id: uuid.UUID | None = Field(default=None, index=True)
    uploaded_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    unreferenced_since: datetime | None = _timestamp(nullable=True, index=True)


class IdempotencyKeyRow(SubmissionsTable, table=True):
    """The response to the first POST with an `Idempotency-Key`, replayed to its retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(sa_column=Column(String(200), nullable=False))
    key: str = Field(sa_column=Column(String(200), nullable=False))
    request_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    status_code: int
    response: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _timestamp(index=True)


METADATA = SubmissionsTable.metadata
BUS_TABLES = bus_tables(METADATA)
