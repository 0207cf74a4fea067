"""The submissions service's own tables (its own metadata: it owns its database)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from kaleidoscope_shared.bus.tables import bus_tables


class SubmissionsTable(SQLModel, registry=registry()):
    """Base of every table in the submissions database."""


class EntryRow(SubmissionsTable, table=True):
    __tablename__ = "entries"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    contest_id: uuid.UUID = Field(index=True)
    nomination_code: str
    title: str
    annotation: str = ""
    authors: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    revision: int = 1
    status: str = "submitted"
    submitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


METADATA = SubmissionsTable.metadata
BUS_TABLES = bus_tables(METADATA)
