"""The submissions service's own tables (its own metadata: it owns its database).

A contest keeps its nominations, territories, organisers and rules as JSON beside indexed columns for
what queries filter on (status, deadline). An entry keeps its whole content as JSON (what a reader gets
back) and, normalised, what queries need: its authors (territory filter, statistics), the authors'
identity keys (duplicate and per-author limit checks) and a search document.
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
    opens_at: datetime = _timestamp()
    closes_at: datetime = _timestamp(index=True)
    status: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    published_at: datetime | None = _timestamp(nullable=True)
    submissions_closed_at: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp()


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
    """An author identity key (`name:…`, `email:…`) per entry: finds the entries a new one may repeat."""

    __tablename__ = "entry_author_keys"
    __table_args__ = (Index("ix_entry_author_keys_contest_key", "contest_id", "key"),)

    entry_id: uuid.UUID = Field(primary_key=True)
    key: str = Field(sa_column=Column(String(600), primary_key=True))
    contest_id: uuid.UUID


class AttachmentRow(SubmissionsTable, table=True):
    """A stored file, uploaded for a contest before the entry that references it."""

    __tablename__ = "attachments"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    contest_id: uuid.UUID = Field(index=True)
    filename: str = Field(sa_column=Column(String(500), nullable=False))
    media_type: str = Field(sa_column=Column(String(200), nullable=False))
    size_bytes: int = Field(sa_column=Column(Integer, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    uploaded_at: datetime = _timestamp()


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
