"""Appending to a contest's hash-chained audit log, and verifying it.

Appends to one contest are serialised: the first statement of an append's transaction bumps the
contest's head row (`UPDATE … RETURNING`), which holds a row lock on PostgreSQL and the write lock on
SQLite until commit. Callers that must see a consistent state (a close reading scores) take the head
first with `lock_head`, then read.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..adapters.tables import AuditHeadRow, AuditRow
from ..domain import AuditRecord, first_broken_sequence
from ..domain.audit import GENESIS_HASH, canonical_json, record_hash
from .errors import NotFound


class AuditHead:
    """The locked head of a contest's chain, valid until the transaction ends."""

    def __init__(self, contest_id: uuid.UUID, sequence: int, hash_: str) -> None:
        self.contest_id, self.sequence, self.hash = contest_id, sequence, hash_


async def start_chain(session: AsyncSession, contest_id: uuid.UUID) -> None:
    """Create the (empty) chain of a contest the first time the contest is seen."""
    if await session.get(AuditHeadRow, contest_id) is None:
        session.add(AuditHeadRow(contest_id=contest_id, sequence=0, hash=GENESIS_HASH))
        await session.flush()


async def lock_head(session: AsyncSession, contest_id: uuid.UUID) -> AuditHead:
    """Take the contest's chain for this transaction (waits for any other appender to commit).

    Call it first in the transaction: on SQLite a transaction that read before writing may find its
    snapshot stale; on PostgreSQL everything read after it sees the appenders that came before.
    """
    row = (
        await session.execute(
            update(AuditHeadRow)
            .where(col(AuditHeadRow.contest_id) == contest_id)
            .values(sequence=col(AuditHeadRow.sequence))
            .returning(col(AuditHeadRow.sequence), col(AuditHeadRow.hash))
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No contest {contest_id} is known to judging (it has not been announced yet).")
    return AuditHead(contest_id, row[0], row[1])


async def append(session: AsyncSession, head: AuditHead, kind: str, payload: Mapping[str, Any]) -> str:
    """Append a record after the locked `head` (advancing it) and return the new head hash."""
    sequence, text = head.sequence + 1, canonical_json(payload)
    digest = record_hash(head.hash, sequence, kind, text)
    session.add(
        AuditRow(
            contest_id=head.contest_id,
            sequence=sequence,
            kind=kind,
            payload=text,
            previous_hash=head.hash,
            hash=digest,
            recorded_at=datetime.now(UTC),
        )
    )
    await session.execute(
        update(AuditHeadRow)
        .where(col(AuditHeadRow.contest_id) == head.contest_id)
        .values(sequence=sequence, hash=digest)
    )
    head.sequence, head.hash = sequence, digest
    return digest


async def records_of(session: AsyncSession, contest_id: uuid.UUID) -> list[AuditRecord]:
    """Every record of the contest's chain, in storage order."""
    rows = await session.execute(
        select(AuditRow).where(col(AuditRow.contest_id) == contest_id).order_by(col(AuditRow.sequence))
    )
    return [AuditRecord(r.sequence, r.kind, r.payload, r.previous_hash, r.hash) for r in rows.scalars()]


async def verify_chain(
    session: AsyncSession, contest_id: uuid.UUID, expected_head_hash: str | None = None
) -> tuple[int, int | None]:
    """(number of records, first broken sequence or None), checked against `expected_head_hash` (the
    one a StageClosed published) or else the stored head."""
    records = await records_of(session, contest_id)
    head = await session.get(AuditHeadRow, contest_id)
    expected = expected_head_hash or (head.hash if head and head.sequence == len(records) else None)
    return len(records), first_broken_sequence(records, expected)
