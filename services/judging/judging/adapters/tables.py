"""The judging service's own tables (its own metadata: it owns its database).

JSON-shaped values (a stage's definition, marks, authors, links…) are JSON columns (text on SQLite, `json`
on PostgreSQL), read and written as Python values; the columns queries filter or join on are real
columns. The audit log's payload stays text: its record hash covers that exact canonical text.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Dialect, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import AutoString

from kaleidoscope_shared.bus.tables import bus_tables
from kaleidoscope_shared.db import UtcDateTime

from ..domain import StageStatus


class JudgingTable(SQLModel, registry=registry()):
    """Base of every table in the judging database."""


class StageStatusType(TypeDecorator[StageStatus]):
    """A stage's status stored as its text ("declared", "open", "closed"), read back as `StageStatus`."""

    impl = AutoString
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else StageStatus(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StageStatus | None:
        return None if value is None else StageStatus(value)


def _when(nullable: bool = True) -> datetime | None:
    field: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable))
    return field


class ContestCopy(JudgingTable, table=True):
    """Judging's copy of a contest from ContestAnnounced and ContestAmended (`revision`: the highest
    seen, 1 the announcement); `submissions_closed` freezes stage 1's entries."""

    __tablename__ = "contests"

    id: uuid.UUID = Field(primary_key=True)
    title: str
    revision: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    nominations: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    """Each nomination's title by its code, in the contest's order."""
    conflict_rules: list[str] = Field(sa_column=Column(JSON, nullable=False))
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
    authors: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Each author's full_name, library and territory_code."""
    submitted_at: datetime | None = _when()
    in_submissions_list: bool = False
    annotation: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    links: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Each attachment's key, filename, media_type and size_bytes."""


class JurorRow(JudgingTable, table=True):
    """A member of a contest's jury; only the SHA-256 of the personal token is kept. `link_generation`
    counts new links the organiser issued: a sign-in ticket of an older generation is refused."""

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
    link_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


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
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The DeclareStage command as JSON."""
    status: StageStatus = Field(
        default=StageStatus.DECLARED, sa_column=Column(StageStatusType(), nullable=False)
    )
    opened_at: datetime | None = _when()
    closed_at: datetime | None = _when()
    reminded_at: datetime | None = _when()
    chair_ordering: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    awards: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """The SetAwards command as JSON ({} until set)."""
    running_order: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    defending_entry_id: uuid.UUID | None = None
    defended: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    audit_head_records: int | None = None
    """When closed: how many records the audit log had, its `stage_closed` record the last."""
    audit_head_hash: str | None = None
    """When closed: that record's hash (StageClosed's `audit_head_hash`). Kept here, not re-read from
    the log, so that what was published stays what it was whatever later happens to the log."""


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
    marks: dict[str, float] = Field(sa_column=Column(JSON, nullable=False))
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
