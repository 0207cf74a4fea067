"""What the HTTP API answers with (the `Public` side of each resource)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


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


class AuditVerification(BaseModel):
    records: int
    first_broken_sequence: int | None
    intact: bool
