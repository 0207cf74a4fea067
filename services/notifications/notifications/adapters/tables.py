"""The notifications service's own tables (its own metadata: it owns its database)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from kaleidoscope_shared.bus.tables import bus_tables


class NotificationsTable(SQLModel, registry=registry()):
    """Base of every table in the notifications database."""


class DeliveryRow(NotificationsTable, table=True):
    """One message to one recipient on one channel for one event: never two."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("event_id", "recipient", "channel", name="uq_delivery"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    event_id: uuid.UUID = Field(index=True)
    event_type: str
    contest_id: uuid.UUID | None = Field(default=None, index=True)
    recipient: str
    channel: str
    subject: str
    body: str
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    last_error: str | None = None
    provider_id: str | None = None
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


METADATA = NotificationsTable.metadata
BUS_TABLES = bus_tables(METADATA)
