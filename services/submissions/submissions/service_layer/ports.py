"""What the use cases need from the outside world: a repository and a unit of work over it and the outbox.

`adapters.repository.SqlRepository` and `adapters.unit_of_work` implement these on SQL; the service
layer's tests use in-memory fakes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from kaleidoscope_shared.contracts import Event

from ..domain.contest import Contest, ContestStatus
from ..domain.entry import Entry

if TYPE_CHECKING:
    from ..adapters.repository import EntryFilter
    from ..adapters.tables import AttachmentRow, EntryRevisionRow, EntryRow, IdempotencyKeyRow


class Repository(Protocol):
    """Contests, entries, attachments and idempotency records, inside the unit of work's transaction."""

    async def add_contest(self, contest: Contest, now: datetime) -> None: ...
    async def get_contest(
        self, contest_id: uuid.UUID, *, share_lock: bool = False, for_update: bool = False
    ) -> Contest | None:
        """`share_lock`: no change to the contest until this transaction ends; `for_update`: no
        submission or edit to it either (on PostgreSQL; SQLite runs one transaction at a time)."""
        ...

    async def save_contest(
        self, contest: Contest, *, expected_status: ContestStatus, expected_revision: int
    ) -> bool:
        """Store the changed contest only if its stored status and revision are still the expected ones."""
        ...

    async def live_entry_counts(self, contest_id: uuid.UUID) -> tuple[dict[str, int], dict[str, int]]:
        """Live entries by nomination code, and by territory code (an entry once per territory)."""
        ...

    async def list_contests(self, *, published_only: bool) -> list[Contest]: ...
    async def change_contest_status(self, contest: Contest, *, expected: ContestStatus) -> bool:
        """Store the new status only if the stored one is still `expected`."""
        ...

    async def contests_due(self, now: datetime) -> list[uuid.UUID]: ...
    async def add_entry(self, entry: Entry, slots: Mapping[str, int]) -> None:
        """Store a new entry, its authors holding `slots` (by identity key) in its nomination; raises
        IntegrityError if another transaction took one of those slots or the same title by the same
        author first."""
        ...

    async def save_entry(
        self, entry: Entry, *, previous_revision: int, slots: Mapping[str, int] | None = None
    ) -> bool:
        """Store the next revision only if the stored one is still `previous_revision`; its authors
        then hold `slots` (a withdrawn entry holds none)."""
        ...

    async def taken_slots(
        self,
        contest_id: uuid.UUID,
        nomination_code: str,
        keys: Iterable[str],
        *,
        besides: uuid.UUID | None = None,
    ) -> dict[str, set[int]]:
        """The slots live entries hold in the nomination, by author identity key, except `besides`'s."""
        ...

    async def record_revision(self, entry: Entry, changed: Iterable[str]) -> None:
        """Keep the entry's current revision in its history with the names of the fields it changed."""
        ...

    async def entry_revisions(self, entry_id: uuid.UUID) -> list[EntryRevisionRow]: ...
    async def get_entry(self, entry_id: uuid.UUID) -> Entry | None: ...
    async def get_entry_row(self, entry_id: uuid.UUID) -> EntryRow | None: ...
    async def entries_sharing_authors(self, contest_id: uuid.UUID, keys: Iterable[str]) -> list[Entry]: ...
    async def all_entry_rows(self, contest_id: uuid.UUID) -> list[EntryRow]: ...
    async def find_entry_rows(
        self, contest_id: uuid.UUID, where: EntryFilter, *, offset: int, limit: int
    ) -> tuple[list[EntryRow], int]: ...
    async def add_attachment(self, row: AttachmentRow) -> None: ...
    async def attachments(self, contest_id: uuid.UUID, keys: Iterable[str]) -> dict[str, AttachmentRow]: ...
    async def lock_pending_uploads(self, contest_id: uuid.UUID) -> None:
        """Until this transaction ends, no other transaction passes this call for the same contest."""
        ...

    async def pending_uploads(self, contest_id: uuid.UUID, client: str) -> PendingUploads:
        """The contest's files no entry lists: the client's and everyone's, counted and summed."""
        ...

    async def claim_attachments(self, entry_id: uuid.UUID, contest_id: uuid.UUID, keys: Iterable[str]) -> int:
        """Mark the contest's files `keys` as listed by the entry, unless another entry has them; how
        many are now the entry's."""
        ...

    async def release_attachments(self, entry_id: uuid.UUID, *, keeping: Iterable[str], now: datetime) -> int:
        """The entry's files other than `keeping` are pending again, since `now`; how many."""
        ...

    async def unreferenced_uploads(self, before: datetime, limit: int) -> list[str]:
        """Keys of files no entry has listed since before `before`, oldest first."""
        ...

    async def delete_unreferenced_uploads(self, keys: Iterable[str], before: datetime) -> list[str]:
        """Delete the rows of `keys` still unlisted since before `before`; the keys deleted."""
        ...

    async def idempotent_response(self, scope: str, key: str) -> IdempotencyKeyRow | None: ...
    async def remember_response(self, row: IdempotencyKeyRow) -> None: ...
    async def forget_responses_before(self, cutoff: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class PendingUploads:
    """Files no entry lists yet: one client's, and the contest's from everyone."""

    client_files: int = 0
    client_bytes: int = 0
    contest_files: int = 0
    contest_bytes: int = 0


class UploadRate(Protocol):
    """Counts the uploads each client starts, across the API's replicas."""

    limit: int
    window_s: int

    async def take(self, client: str) -> int | None:
        """Count one upload: None within the limit, else the seconds until the client may go on."""
        ...


class UnitOfWork(Protocol):
    """One transaction: the repository's changes and the events emitted commit together, or neither."""

    @property
    def repository(self) -> Repository: ...

    async def emit(self, event: Event, *, contest_id: uuid.UUID) -> None:
        """Stage `event` in the outbox, in this transaction."""
        ...


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
