"""What the HTTP API answers with (the `Public` side of each resource)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class JurorPublic(Public):
    id: uuid.UUID
    contest_id: uuid.UUID
    name: str
    position: str
    library: str
    territory_code: str
    email: str | None
    language: str


class JurorCreated(JurorPublic):
    token: str


class JurorUpdated(JurorPublic):
    entries_taken_away: int = Field(
        description="entries of open stages the juror lost to a conflict the new details make"
    )


class JurorLink(JurorPublic):
    """A juror's new personal token and link; the old ones stopped working."""

    token: str
    link: str


class ConflictListed(Public):
    """A conflict in the organiser's list: `source` is automatic, declared (the juror's recusal) or
    organiser; `rule` the finer kind (same_library, same_territory, declared_by_juror, set_by_organiser)."""

    id: uuid.UUID
    juror_id: uuid.UUID
    juror_name: str
    entry_id: uuid.UUID
    entry_title: str
    source: str
    rule: str
    reason: str


class ConflictPublic(Public):
    id: uuid.UUID
    juror_id: uuid.UUID
    entry_id: uuid.UUID
    source: str
    reason: str


class StagePublic(Public):
    id: uuid.UUID
    contest_id: uuid.UUID
    position: int
    name: str
    kind: str
    blind: bool
    status: str
    opened_at: datetime | None
    closed_at: datetime | None
    definition: dict[str, Any]
    chair_ordering: list[str]
    running_order: list[str]
    defending_entry_id: uuid.UUID | None
    defended: list[str]


class EntryForJuror(BaseModel):
    id: uuid.UUID
    nomination_code: str
    title: str
    authors: list[dict[str, str]] | None
    scored: bool


class CriterionForJuror(BaseModel):
    name: str
    description: str
    weight: float
    scale_min: float
    scale_max: float


class StageForJuror(BaseModel):
    """A stage of the juror's contest: its rules, the juror's own progress, and what they may score now."""

    id: uuid.UUID
    position: int
    name: str
    kind: str
    status: str = Field(description="declared (not open yet), open or closed")
    blind: bool
    deadline: datetime | None
    criteria: list[CriterionForJuror]
    assigned: int = Field(description="entries assigned to you in this stage")
    scored: int = Field(description="of those, how many you have scored")
    scoring_allowed: bool = Field(description="whether you may give a score in this stage right now")
    scoring_note: str | None = Field(description="why not, when you may not (or may score none of yours)")
    scorable_entry_ids: list[uuid.UUID] = Field(description="your entries you may score right now")
    defending_entry_id: uuid.UUID | None = Field(description="a final's entry defending now")
    defended_entry_ids: list[uuid.UUID] = Field(description="a final's entries whose defence has ended")


class AttachmentForJuror(BaseModel):
    key: str
    filename: str
    media_type: str
    size_bytes: int
    grant: str | None = Field(
        description="lets the bearer fetch this file from submissions for 15 minutes (ENTRY_FILE grant)"
    )


class EntryContentForJuror(BaseModel):
    """An entry assigned to you, whole; `authors` is null in a blind stage."""

    id: uuid.UUID
    stage_id: uuid.UUID
    nomination_code: str
    title: str
    annotation: str
    links: list[str]
    authors: list[dict[str, str]] | None
    attachments: list[AttachmentForJuror]
    scored: bool
    withdrawn: bool


class ScorePublic(Public):
    stage_id: uuid.UUID
    juror_id: uuid.UUID
    entry_id: uuid.UUID
    marks: dict[str, float]
    revision: int
    scored_at: datetime | None


class ResultPublic(Public):
    entry_id: uuid.UUID
    title: str = ""
    authors: list[str] = Field(default=[], description="the authors' full names")
    library: str = Field("", description="the authors' libraries, each once, joined by '; '")
    nomination_code: str
    aggregate: float | None
    rank: int | None
    advanced: bool
    place: int | None
    decided_by: str
    reason: str


class FinalOfContest(BaseModel):
    """Where a hall screen finds a contest's final."""

    stage_id: uuid.UUID
    name: str
    status: str


class AuditHeadChecked(BaseModel):
    """A head a closed stage published, checked: the chain up to record `records` is whole and that
    record has `audit_head_hash` (`passed`), or the first record found broken on the way."""

    stage_id: uuid.UUID
    stage_name: str
    records: int
    audit_head_hash: str
    passed: bool
    first_broken_sequence: int | None


class AuditVerification(BaseModel):
    records: int
    first_broken_sequence: int | None = Field(
        description="the first broken record over the chain and every head checked; null when intact"
    )
    intact: bool
    heads: list[AuditHeadChecked] = Field(
        description="every head a closed stage published, in stage order: a log rewritten and re-hashed "
        "to its end is whole as a chain, and shows only here"
    )


class Reminded(BaseModel):
    reminded: list[uuid.UUID] = Field(description="the jurors sent a reminder")


class AuditRecordPublic(BaseModel):
    sequence: int
    at: datetime | None
    actor: str = Field(
        description="the organiser's name (X-Kaleidoscope-Actor), 'juror <name> (<id>)' or 'system'"
    )
    action: str
    details: Any
    hash: str


class AuditPage(BaseModel):
    items: list[AuditRecordPublic]
    total: int
    offset: int
    limit: int


class AuditHead(BaseModel):
    """The audit log's head when a stage closed: a later copy of the log must reach this hash at
    record number `records`."""

    stage_id: uuid.UUID
    stage_name: str
    closed_at: datetime | None
    audit_head_hash: str
    records: int
