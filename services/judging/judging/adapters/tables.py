"""The judging service's own tables (its own metadata: it owns its database)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from kaleidoscope_shared.bus.tables import bus_tables


class JudgingTable(SQLModel, registry=registry()):
    """Base of every table in the judging database."""


class EntryCopy(JudgingTable, table=True):
    """Judging's copy of an entry, built from submissions' events; `revision` orders the changes."""

    __tablename__ = "entries"

    id: uuid.UUID = Field(primary_key=True)
    contest_id: uuid.UUID = Field(index=True)
    nomination_code: str
    title: str
    revision: int
    withdrawn: bool = False


METADATA = JudgingTable.metadata
BUS_TABLES = bus_tables(METADATA)
