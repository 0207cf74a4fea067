"""Reading a contest's audit chain through the repository port: every record verified against the
stored head and the heads the closed stages published, a page of the log with each record's actor, the
log exported as JSON lines, and the head each closed stage published (kept in its row at the close).

Appending (and the request's actor, `audit.ACTOR`) stays in `audit.py`; this module only reads."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from ..domain import AuditRecord, ChainCheck, PublishedHead, StageStatus, check_chain, export_line
from .ports import AuditLogRecord, Repository

SYSTEM_ACTOR = "system"
"""The actor of a record written outside a request (the bus, the worker)."""


async def records_of(repository: Repository, contest_id: uuid.UUID) -> list[AuditRecord]:
    """Every record of the contest's chain, in sequence order."""
    return [
        AuditRecord(r.sequence, r.kind, r.payload, r.previous_hash, r.hash)
        for r in await repository.audit_records(contest_id)
    ]


async def verify_chain(
    repository: Repository,
    contest_id: uuid.UUID,
    heads: Sequence[PublishedHead] = (),
    last_hash: str | None = None,
) -> ChainCheck:
    """The chain checked against the stored head (the hash its last record must have) and `heads`;
    `last_hash`, when given, is checked as one more head: the hash the last record must have."""
    records = await records_of(repository, contest_id)
    head = await repository.audit_head(contest_id)
    expected = head[1] if head and head[0] == len(records) else None
    if last_hash is not None:
        heads = [*heads, PublishedHead(max(len(records), 1), last_hash)]
    return check_chain(records, heads, expected)


async def export_of(repository: Repository, contest_id: uuid.UUID) -> list[str]:
    """Every record of the chain as one line of JSON (`export_line`), with the contest and the time it
    was written (which the hash does not cover), in sequence order."""
    return [
        export_line(
            AuditRecord(r.sequence, r.kind, r.payload, r.previous_hash, r.hash),
            contest_id=contest_id,
            recorded_at=r.recorded_at,
        )
        for r in await repository.audit_records(contest_id)
    ]


class LoggedRecord:
    """One record of the log as the organiser reads it."""

    def __init__(self, row: AuditLogRecord) -> None:
        details = json.loads(row.payload)
        self.sequence, self.at, self.action, self.hash = row.sequence, row.recorded_at, row.kind, row.hash
        self.actor = str(details.pop("actor", SYSTEM_ACTOR)) if isinstance(details, dict) else SYSTEM_ACTOR
        self.details = details


async def page_of(
    repository: Repository, contest_id: uuid.UUID, offset: int, limit: int
) -> tuple[list[LoggedRecord], int]:
    """A page of the contest's log in sequence order, and how many records it has in all."""
    rows = await repository.audit_records(contest_id, offset=offset, limit=limit)
    return [LoggedRecord(r) for r in rows], await repository.audit_record_count(contest_id)


class StageHead:
    """The chain's head as a stage's close left it (what its StageClosed published)."""

    def __init__(self, stage_id: uuid.UUID, sequence: int, hash_: str, at: datetime | None) -> None:
        self.stage_id, self.records, self.hash, self.at = stage_id, sequence, hash_, at

    @property
    def published(self) -> PublishedHead:
        return PublishedHead(self.records, self.hash)


async def stage_heads(repository: Repository, contest_id: uuid.UUID) -> dict[uuid.UUID, StageHead]:
    """Per closed stage, the head its close published and kept in its row (never re-read from the log,
    which a rewrite re-hashed to its end would change with it)."""
    return {
        s.id: StageHead(s.id, s.audit_head_records, s.audit_head_hash, s.closed_at)
        for s in await repository.stages(contest_id)
        if s.status == StageStatus.CLOSED and s.audit_head_records is not None and s.audit_head_hash
    }
