"""The notifications service's own tables (its own metadata: it owns its database).

`contests` and `entries` are this service's copies of other services' data, built from events;
`deliveries`, `delivery_attempts`, `documents` and `preferences` are its own. Every moment is a
`UtcDateTime`: read back with its UTC offset on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from kaleidoscope_shared.bus.tables import bus_tables
from kaleidoscope_shared.db import UtcDateTime


def _when(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable, index=index))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class NotificationsTable(SQLModel, registry=registry()):
    """Base of every table in the notifications database."""


class ContestCopy(NotificationsTable, table=True):
    """What a ContestAnnounced told us, or the newest ContestAmended (the highest `revision`), and the
    final's date and place from StageClosed."""

    __tablename__ = "contests"

    contest_id: uuid.UUID = Field(primary_key=True)
    revision: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """1 for the announcement; each amendment adds one. An older revision arriving late changes nothing."""
    title: str
    submissions_close_at: datetime | None = _when()
    nominations: dict[str, str] = _json(dict)
    organisers: list[dict[str, Any]] = _json(list)
    contact: str = ""
    final_date: datetime | None = _when()
    final_place: str | None = None


class EntryCopy(NotificationsTable, table=True):
    """An entry at its latest revision seen; `withdrawn` wins over any older revision."""

    __tablename__ = "entries"

    entry_id: uuid.UUID = Field(primary_key=True)
    contest_id: uuid.UUID = Field(index=True)
    revision: int
    title: str
    nomination_code: str
    authors: list[dict[str, Any]] = _json(list)
    private_link: str | None = None
    """Sealed (`kaleidoscope_shared.sealing`): opened only into the message a participant is sent."""
    withdrawn: bool = False
    finalist: bool = False
    place: int | None = None


class DeliveryRow(NotificationsTable, table=True):
    """One message to one recipient on one channel for one event: the id is `delivery_key(...)`, so a
    second row for the same three can never be written."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: uuid.UUID = Field(primary_key=True)
    event_id: uuid.UUID = Field(index=True)
    event_type: str
    kind: str
    contest_id: uuid.UUID | None = Field(default=None, index=True)
    recipient: str = Field(index=True)
    recipient_name: str = ""
    address: str
    language: str
    channel: str = Field(index=True)
    subject: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    html: str | None = Field(default=None, sa_column=Column(Text))
    """The message as rendered, a private or personal link in it sealed (`domain/links`)."""
    document_ids: list[str] = _json(list)
    status: str = Field(default="pending")
    """`pending`, `sending` (an attempt is committed, its outcome not yet), `failed` (a retry is due),
    `sent` or `dead`."""
    attempts: int = 0
    last_attempt_at: datetime | None = _when()
    next_attempt_at: datetime | None = _when()
    claimed_by: str | None = None
    claimed_until: datetime | None = _when()
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    provider_id: str | None = None
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    sent_at: datetime | None = _when()


@dataclass(frozen=True, slots=True)
class DeliveryValues:
    """A deliveries row as plain values, for the dispatcher: it reads rows it just wrote itself, a
    contest's end tens of thousands of them, and validating each as a `DeliveryRow` cost it more
    than writing the message. Same columns as `DeliveryRow` (a test keeps them in step)."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    kind: str
    contest_id: uuid.UUID | None
    recipient: str
    recipient_name: str
    address: str
    language: str
    channel: str
    subject: str
    text: str
    html: str | None
    document_ids: list[str]
    status: str
    attempts: int
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    claimed_by: str | None
    claimed_until: datetime | None
    last_error: str | None
    provider_id: str | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryAttemptRow(NotificationsTable, table=True):
    """One try at sending a delivery, written (committed) before the channel is called; its outcome is
    written right after the send. An attempt without an outcome was cut short: its dispatcher stopped
    (or is still sending), so the message may or may not have reached the receiver, and it is sent
    again, as a new attempt, once the claim's lease runs out."""

    __tablename__ = "delivery_attempts"

    attempt_id: uuid.UUID = Field(primary_key=True)
    delivery_id: uuid.UUID = Field(foreign_key="deliveries.id", index=True)
    number: int
    """The delivery's `attempts` counting this one (a resend from the API starts counting again)."""
    dispatcher: str
    started_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    finished_at: datetime | None = _when()
    outcome: str | None = None
    """`sent`, `failed` (retried later) or `dead`; None while unknown."""
    error: str | None = Field(default=None, sa_column=Column(Text))
    provider_id: str | None = None


class DocumentRow(NotificationsTable, table=True):
    """An issued document: the fields its code covers, the normalised code, and where its PDF is."""

    __tablename__ = "documents"

    document_id: uuid.UUID = Field(primary_key=True)
    code: str = Field(unique=True, index=True)
    kind: str
    contest_id: uuid.UUID = Field(index=True)
    entry_id: uuid.UUID = Field(index=True)
    """Indexed: a participant's page lists its entry's documents."""
    person_key: str = Field(index=True)
    fields: dict[str, Any] = _json(dict)
    path: str | None = None
    issued_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class PreferenceRow(NotificationsTable, table=True):
    """How one person wants to hear from us: channels in order, language, channel-specific addresses."""

    __tablename__ = "preferences"

    person_key: str = Field(primary_key=True)
    channels: list[str] = _json(list)
    language: str | None = None
    addresses: dict[str, str] = _json(dict)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


METADATA = NotificationsTable.metadata
# The tables themselves, for Core statements on the hot paths (fan-out, dispatch).
DELIVERIES = DeliveryRow.__table__  # type: ignore[attr-defined]
DELIVERY_ATTEMPTS = DeliveryAttemptRow.__table__  # type: ignore[attr-defined]
DOCUMENTS = DocumentRow.__table__  # type: ignore[attr-defined]
BUS_TABLES = bus_tables(METADATA)
