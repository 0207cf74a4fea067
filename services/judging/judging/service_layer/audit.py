"""Appending to a contest's hash-chained audit log (reading and verifying it: `audit_log.py`).

Appends to one contest are serialised: the first statement of an append's transaction bumps the
contest's head row (`UPDATE … RETURNING`), which holds a row lock on PostgreSQL and the write lock on
SQLite until commit. Callers that must see a consistent state (a close reading scores) take the head
first with `lock_head`, then read.

Each record names its actor inside its payload (`"actor"`), so the chain's hashes cover who did it: the
HTTP layer sets `ACTOR` for the request it serves (the organiser's name from `X-Kaleidoscope-Actor`,
or a juror's), and `append` records it; a record written outside a request (the bus, the worker) has
no actor and reads as "system".
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..adapters.tables import AuditHeadRow, AuditRow
from ..domain.audit import GENESIS_HASH, canonical_json, record_hash
from .errors import NotFound

ACTOR: ContextVar[str | None] = ContextVar("judging_audit_actor", default=None)
"""Who acts in the request being served; `append` records it with the record."""


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
    """Append a record after the locked `head` (advancing it) and return the new head hash; the
    request's actor (`ACTOR`), when there is one, is recorded in the payload."""
    actor = ACTOR.get()
    if actor is not None:
        payload = {**payload, "actor": actor}
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
