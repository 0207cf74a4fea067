"""In-memory fakes of judging's ports: a repository over plain records and a unit of work that
counts its transactions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from judging.domain import AuditRecord, StageStatus, next_record
from judging.service_layer.ports import (
    AuditLogRecord,
    EntryRecord,
    JurorRecord,
    Repository,
    StageRecord,
    UnitOfWork,
)

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class Juror:
    contest_id: uuid.UUID
    name: str
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    position: str = "expert"
    library: str = ""
    territory_code: str = ""
    email: str | None = None
    language: str = "ru"
    link_generation: int = 0


@dataclass
class Stage:
    contest_id: uuid.UUID
    position: int
    name: str
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    kind: str = "review"
    blind: bool = False
    status: StageStatus = StageStatus.DECLARED
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    definition: dict[str, Any] = field(default_factory=dict)
    chair_ordering: list[str] = field(default_factory=list)
    running_order: list[str] = field(default_factory=list)
    defending_entry_id: uuid.UUID | None = None
    defended: list[str] = field(default_factory=list)
    audit_head_records: int | None = None
    audit_head_hash: str | None = None


@dataclass
class Entry:
    contest_id: uuid.UUID
    title: str
    nomination_code: str = "n1"
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    revision: int = 1
    withdrawn: bool = False
    authors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class LogRecord:
    sequence: int
    kind: str
    payload: str
    previous_hash: str
    hash: str
    recorded_at: datetime | None = AT


@dataclass
class Store:
    contests: set[uuid.UUID] = field(default_factory=set)
    stages: dict[uuid.UUID, Stage] = field(default_factory=dict)
    jurors: dict[uuid.UUID, Juror] = field(default_factory=dict)
    entries: dict[uuid.UUID, Entry] = field(default_factory=dict)
    assignments: set[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = field(default_factory=set)
    """(stage, juror, entry)"""
    scores: set[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = field(default_factory=set)
    """(stage, juror, entry) of each sheet given"""
    audit: dict[uuid.UUID, list[LogRecord]] = field(default_factory=dict)
    heads: dict[uuid.UUID, tuple[int, str]] = field(default_factory=dict)

    def append(self, contest_id: uuid.UUID, kind: str, payload: Mapping[str, Any]) -> LogRecord:
        """A record chained after the contest's last one, with the domain's hashing; the head moves."""
        log = self.audit.setdefault(contest_id, [])
        previous = log[-1] if log else None
        head = (
            None
            if previous is None
            else AuditRecord(
                previous.sequence, previous.kind, previous.payload, previous.previous_hash, previous.hash
            )
        )
        record = next_record(head, kind, payload)
        stored = LogRecord(record.sequence, record.kind, record.payload, record.previous_hash, record.hash)
        log.append(stored)
        self.heads[contest_id] = (stored.sequence, stored.hash)
        return stored


class FakeRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def has_contest(self, contest_id: uuid.UUID) -> bool:
        return contest_id in self.store.contests

    async def get_stage(self, stage_id: uuid.UUID) -> StageRecord | None:
        return self.store.stages.get(stage_id)

    async def stages(self, contest_id: uuid.UUID) -> list[StageRecord]:
        return sorted(
            (s for s in self.store.stages.values() if s.contest_id == contest_id), key=lambda s: s.position
        )

    async def jurors(self, contest_id: uuid.UUID) -> list[JurorRecord]:
        return sorted(
            (j for j in self.store.jurors.values() if j.contest_id == contest_id), key=lambda j: j.id
        )

    async def assigned_entries(self, stage_id: uuid.UUID, juror_id: uuid.UUID) -> list[EntryRecord]:
        ids = {e for s, j, e in self.store.assignments if (s, j) == (stage_id, juror_id)}
        return sorted((self.store.entries[e] for e in ids), key=lambda e: (e.nomination_code, e.title))

    async def scored_entry_ids(self, stage_id: uuid.UUID, juror_id: uuid.UUID) -> set[uuid.UUID]:
        return {e for s, j, e in self.store.scores if (s, j) == (stage_id, juror_id)}

    async def entries(self, contest_id: uuid.UUID) -> list[EntryRecord]:
        return sorted(
            (e for e in self.store.entries.values() if e.contest_id == contest_id), key=lambda e: e.title
        )

    async def audit_records(
        self, contest_id: uuid.UUID, *, offset: int = 0, limit: int | None = None, kind: str | None = None
    ) -> list[AuditLogRecord]:
        log = [r for r in self.store.audit.get(contest_id, []) if kind is None or r.kind == kind]
        return list(log[offset : None if limit is None else offset + limit])

    async def audit_record_count(self, contest_id: uuid.UUID) -> int:
        return len(self.store.audit.get(contest_id, []))

    async def audit_head(self, contest_id: uuid.UUID) -> tuple[int, str] | None:
        return self.store.heads.get(contest_id)


@dataclass
class FakeUnitOfWork:
    repository: Repository


@dataclass
class FakeDatabase:
    """The store, and a factory of units of work over it (`transactions` counts them)."""

    store: Store = field(default_factory=Store)
    transactions: int = 0

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        @asynccontextmanager
        async def transaction() -> AsyncIterator[UnitOfWork]:
            self.transactions += 1
            yield FakeUnitOfWork(FakeRepository(self.store))

        return transaction()
