"""What the use cases need from the outside world: a repository and a unit of work over it and the outbox.

`adapters.repository.SqlRepository` and `adapters.unit_of_work` implement these on SQL; the service
layer's tests use in-memory fakes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from kaleidoscope_shared.contracts import Event

from ..domain.contest import Contest, ContestStatus
from ..domain.entry import Entry

if TYPE_CHECKING:
    from ..adapters.repository import EntryFilter
    from ..adapters.tables import AttachmentRow, EntryRow, IdempotencyKeyRow


class Repository(Protocol):
    """Contests, entries, attachments and idempotency records, inside the unit of work's transaction."""

    async def add_contest(self, contest: Contest, now: datetime) -> None: ...
    async def get_contest(self, contest_id: uuid.UUID, *, share_lock: bool = False) -> Contest | None: ...
    async def list_contests(self, *, published_only: bool) -> list[Contest]: ...
    async def change_contest_status(self, contest: Contest, *, expected: ContestStatus) -> bool:
        """Store the new status only if the stored one is still `expected`."""
        ...

    async def contests_due(self, now: datetime) -> list[uuid.UUID]: ...
    async def add_entry(self, entry: Entry) -> None: ...
    async def save_entry(self, entry: Entry, *, previous_revision: int) -> bool:
        """Store the next revision only if the stored one is still `previous_revision`."""
        ...

    async def get_entry(self, entry_id: uuid.UUID) -> Entry | None: ...
    async def get_entry_row(self, entry_id: uuid.UUID) -> EntryRow | None: ...
    async def entries_sharing_authors(self, contest_id: uuid.UUID, keys: Iterable[str]) -> list[Entry]: ...
    async def all_entry_rows(self, contest_id: uuid.UUID) -> list[EntryRow]: ...
    async def find_entry_rows(
        self, contest_id: uuid.UUID, where: EntryFilter, *, offset: int, limit: int
    ) -> tuple[list[EntryRow], int]: ...
    async def add_attachment(self, row: AttachmentRow) -> None: ...
    async def attachments(self, contest_id: uuid.UUID, keys: Iterable[str]) -> dict[str, AttachmentRow]: ...
    async def idempotent_response(self, scope: str, key: str) -> IdempotencyKeyRow | None: ...
    async def remember_response(self, row: IdempotencyKeyRow) -> None: ...
    async def forget_responses_before(self, cutoff: datetime) -> int: ...


class UnitOfWork(Protocol):
    """One transaction: the repository's changes and the events emitted commit together, or neither."""

    @property
    def repository(self) -> Repository: ...

    async def emit(self, event: Event, *, contest_id: uuid.UUID) -> None:
        """Stage `event` in the outbox, in this transaction."""
        ...


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
