"""Commands: what a caller asks the submissions service to do (imperative names)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from kaleidoscope_shared.contracts import Author


class SubmitEntry(BaseModel):
    """Submit an entry to a contest's nomination."""

    model_config = ConfigDict(extra="forbid")

    contest_id: uuid.UUID
    nomination_code: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=500)
    annotation: str = Field("", max_length=10_000)
    authors: list[Author] = Field(min_length=1, max_length=20)
