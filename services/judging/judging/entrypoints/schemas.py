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


class AuditVerification(BaseModel):
    records: int
    first_broken_sequence: int | None
    intact: bool
