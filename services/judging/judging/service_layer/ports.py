"""What the use cases on ports need from the outside world: a repository over judging's tables, inside
a unit of work, and the shapes of the records it hands back.

`adapters.repository.SqlRepository` and `adapters.unit_of_work` implement these on SQL; the fast
service-layer tests (tests/judging/service_layer_fast) use in-memory fakes. The records are
protocols: the SQL adapter hands back its rows, a fake any object with the same attributes.

So far the reads behind the HTTP routes (stages, jury, a juror's entries, the entry list, the audit
log) run on these ports; the use cases that change state still take the runtime and write through a
session of their own (see the README's "Layers").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from ..domain import StageStatus


class JurorRecord(Protocol):
    """A member of a contest's jury as stored (never their token, only its hash)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def contest_id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def position(self) -> str: ...
    @property
    def library(self) -> str: ...
    @property
    def territory_code(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def language(self) -> str: ...
    @property
    def link_generation(self) -> int: ...


class StageRecord(Protocol):
    """A stage as declared (its DeclareStage as `definition`) and where it stands."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def contest_id(self) -> uuid.UUID: ...
    @property
    def position(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def blind(self) -> bool: ...
    @property
    def status(self) -> StageStatus: ...
    @property
    def opened_at(self) -> datetime | None: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def definition(self) -> dict[str, Any]: ...
    @property
    def chair_ordering(self) -> list[str]: ...
    @property
    def running_order(self) -> list[str]: ...
    @property
    def defending_entry_id(self) -> uuid.UUID | None: ...
    @property
    def defended(self) -> list[str]: ...
    @property
    def audit_head_records(self) -> int | None:
        """Once closed: how many records the audit log had when the stage closed (its head)."""
        ...

    @property
    def audit_head_hash(self) -> str | None:
        """Once closed: the hash of that last record, as StageClosed published it."""
        ...


class EntryRecord(Protocol):
    """Judging's copy of an entry, as submissions' events built it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def contest_id(self) -> uuid.UUID: ...
    @property
    def nomination_code(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def revision(self) -> int: ...
    @property
    def withdrawn(self) -> bool: ...
    @property
    def authors(self) -> list[dict[str, str]]: ...


class ScoreRecord(Protocol):
    """A juror's latest sheet for an entry in a stage."""

    @property
    def stage_id(self) -> uuid.UUID: ...
    @property
    def juror_id(self) -> uuid.UUID: ...
    @property
    def entry_id(self) -> uuid.UUID: ...
    @property
    def marks(self) -> dict[str, float]: ...
    @property
    def revision(self) -> int: ...
    @property
    def scored_at(self) -> datetime | None: ...


class AuditLogRecord(Protocol):
    """One stored record of a contest's audit chain; `payload` is the exact text its hash covers."""

    @property
    def sequence(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> str: ...
    @property
    def previous_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...
    @property
    def recorded_at(self) -> datetime | None: ...


class Repository(Protocol):
    """Judging's stored state, read inside the unit of work's transaction."""

    async def has_contest(self, contest_id: uuid.UUID) -> bool:
        """Whether the contest has been announced to judging."""
        ...

    async def get_stage(self, stage_id: uuid.UUID) -> StageRecord | None: ...
    async def stages(self, contest_id: uuid.UUID) -> list[StageRecord]:
        """The contest's stages in their order."""
        ...

    async def jurors(self, contest_id: uuid.UUID) -> list[JurorRecord]:
        """The contest's jury, by id."""
        ...

    async def assigned_entries(self, stage_id: uuid.UUID, juror_id: uuid.UUID) -> list[EntryRecord]:
        """The entries assigned to the juror in the stage, by nomination code then title."""
        ...

    async def scored_entry_ids(self, stage_id: uuid.UUID, juror_id: uuid.UUID) -> set[uuid.UUID]:
        """The entries the juror has given a sheet for in the stage."""
        ...

    async def entries(self, contest_id: uuid.UUID) -> list[EntryRecord]:
        """Every entry judging knows of in the contest, by title."""
        ...

    async def audit_records(
        self, contest_id: uuid.UUID, *, offset: int = 0, limit: int | None = None, kind: str | None = None
    ) -> list[AuditLogRecord]:
        """The contest's audit records in sequence order (of one `kind` only, when given), from `offset`,
        at most `limit`."""
        ...

    async def audit_record_count(self, contest_id: uuid.UUID) -> int: ...
    async def audit_head(self, contest_id: uuid.UUID) -> tuple[int, str] | None:
        """The stored head of the contest's chain: its sequence and hash (None before the contest)."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the repository."""

    @property
    def repository(self) -> Repository: ...


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
