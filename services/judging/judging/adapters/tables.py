"""The judging service's own tables (its own metadata: it owns its database).

JSON-shaped values (criteria, marks, authors) are stored as canonical JSON text so the same models
run on SQLite and PostgreSQL; the columns queries filter or join on are real columns.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from kaleidoscope_shared.bus.tables import bus_tables


class JudgingTable(SQLModel, registry=registry()):
    """Base of every table in the judging database."""


def _when(nullable: bool = True) -> datetime | None:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class ContestCopy(JudgingTable, table=True):
    """Judging's copy of a contest from ContestAnnounced; `submissions_closed` freezes stage 1's entries."""

    __tablename__ = "contests"

    id: uuid.UUID = Field(primary_key=True)
    title: str
    nominations_json: str = Field(sa_column=Column(Text, nullable=False))
    conflict_rules_json: str = Field(sa_column=Column(Text, nullable=False))
    submissions_closed: bool = False
    finished: bool = False


class EntryCopy(JudgingTable, table=True):
    """Judging's copy of an entry, built from submissions' events; `revision` orders the changes.

    It holds what a juror reads (annotation, links, the attachments' descriptions, never their bytes:
    submissions keeps the files and serves one to a juror holding judging's grant)."""

    __tablename__ = "entries"

    id: uuid.UUID = Field(primary_key=True)
    contest_id: uuid.UUID = Field(index=True)
    nomination_code: str
    title: str
    revision: int
    withdrawn: bool = False
    authors_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    submitted_at: datetime | None = _when()
    in_submissions_list: bool = False
    annotation: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    links_json: str = Field(
        default="[]", sa_column=Column(Text, nullable=False, default="[]", server_default="[]")
    )
    attachments_json: str = Field(
        default="[]", sa_column=Column(Text, nullable=False, default="[]", server_default="[]")
    )


class JurorRow(JudgingTable, table=True):
    """A member of a contest's jury; only the SHA-256 of the personal token is kept."""

    __tablename__ = "jurors"

    id: uuid.UUID = Field(primary_key=True)
    contest_id: uuid.UUID = Field(index=True)
    name: str
    position: str = ""
    library: str = ""
    territory_code: str = ""
    email: str | None = None
    language: str = "ru"
    token_hash: str = Field(unique=True, index=True)


class ConflictRow(JudgingTable, table=True):
    """A declared conflict: a juror's recusal or one the organiser set."""

    __tablename__ = "conflicts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    contest_id: uuid.UUID = Field(index=True)
    juror_id: uuid.UUID = Field(index=True)
    entry_id: uuid.UUID
    source: str
    reason: str


class StageRow(JudgingTable, table=True):
    """A stage as declared (definition as JSON) and where it stands: declared → open → closed."""

    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("contest_id", "position"),)

    id: uuid.UUID = Field(primary_key=True)
    contest_id: uuid.UUID = Field(index=True)
    position: int
    name: str
    kind: str
    blind: bool = False
    definition_json: str = Field(sa_column=Column(Text, nullable=False))
    status: str = "declared"
    opened_at: datetime | None = _when()
    closed_at: datetime | None = _when()
    reminded_at: datetime | None = _when()
    chair_ordering_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    awards_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    running_order_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    defending_entry_id: uuid.UUID | None = None
    defended_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))


class StageEntryRow(JudgingTable, table=True):
    """An entry taken into a stage when it opened."""

    __tablename__ = "stage_entries"

    stage_id: uuid.UUID = Field(primary_key=True)
    entry_id: uuid.UUID = Field(primary_key=True)


class AssignmentRow(JudgingTable, table=True):
    """A juror must score an entry in a stage."""

    __tablename__ = "assignments"

    stage_id: uuid.UUID = Field(primary_key=True)
    juror_id: uuid.UUID = Field(primary_key=True)
    entry_id: uuid.UUID = Field(primary_key=True)


class ScoreRow(JudgingTable, table=True):
    """A juror's latest sheet for an entry in a stage; `revision` counts how often it was given."""

    __tablename__ = "scores"

    stage_id: uuid.UUID = Field(primary_key=True)
    juror_id: uuid.UUID = Field(primary_key=True)
    entry_id: uuid.UUID = Field(primary_key=True)
    marks_json: str = Field(sa_column=Column(Text, nullable=False))
    revision: int = 1
    scored_at: datetime | None = _when()


class ResultRow(JudgingTable, table=True):
    """One entry's outcome when its stage closed: aggregate, rank, advanced or place, and why."""

    __tablename__ = "stage_results"

    stage_id: uuid.UUID = Field(primary_key=True)
    entry_id: uuid.UUID = Field(primary_key=True)
    nomination_code: str
    aggregate: float | None = None
    rank: int | None = None
    advanced: bool = False
    place: int | None = None
    decided_by: str
    reason: str


class AuditHeadRow(JudgingTable, table=True):
    """The last record of a contest's audit chain; updating it first serialises appends."""

    __tablename__ = "audit_heads"

    contest_id: uuid.UUID = Field(primary_key=True)
    sequence: int = 0
    hash: str


class AuditRow(JudgingTable, table=True):
    """One record of a contest's append-only, hash-chained audit log."""

    __tablename__ = "audit_log"

    contest_id: uuid.UUID = Field(primary_key=True)
    sequence: int = Field(primary_key=True)
    kind: str
    payload: str = Field(sa_column=Column(Text, nullable=False))
    previous_hash: str
    hash: str
    recorded_at: datetime | None = _when()


METADATA = JudgingTable.metadata
BUS_TABLES = bus_tables(METADATA)
