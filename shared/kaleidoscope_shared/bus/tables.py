"""The outbox and inbox tables, added to each service's own metadata (each service owns its database)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from ..db import UtcDateTime

OUTBOX_PENDING = "pending"
OUTBOX_IN_PROGRESS = "in_progress"
OUTBOX_SENT = "sent"

_ID = BigInteger().with_variant(Integer, "sqlite")


@dataclass(frozen=True)
class BusTables:
    outbox: Table
    inbox: Table


def bus_tables(metadata: MetaData) -> BusTables:
    """Define (once per metadata) the outbox and inbox tables in a service's metadata."""
    if "outbox" in metadata.tables:
        return BusTables(metadata.tables["outbox"], metadata.tables["inbox"])
    outbox = Table(
        "outbox",
        metadata,
        Column("id", _ID, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("stream", String(200), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("status", String(16), nullable=False, default=OUTBOX_PENDING),
        Column("attempts", Integer, nullable=False, default=0),
        Column("claimed_by", String(200)),
        Column("claimed_until", UtcDateTime()),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime()),
        Column("last_error", Text),
        Index("ix_outbox_status_id", "status", "id"),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer_group", String(100), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("consumer_group", "event_id", name="pk_inbox"),
    )
    return BusTables(outbox, inbox)
