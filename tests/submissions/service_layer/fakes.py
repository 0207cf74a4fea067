"""In-memory fakes of the service layer's ports: a repository and a unit of work that commits or not."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kaleidoscope_shared.contracts import Event
from submissions.adapters.repository import EntryFilter
from submissions.adapters.rows import entry_to_row
from submissions.adapters.search import matches
from submissions.adapters.storage import LocalDiskStorage
from submissions.adapters.tables import AttachmentRow, EntryRevisionRow, EntryRow, IdempotencyKeyRow
from submissions.domain import Clock, Contest, ContestStatus, Entry
from submissions.service_layer.context import SubmissionsContext
from submissions.service_layer.ports import PendingUploads

GRANT_KEY = "grant-key-for-the-submissions-tests"


@dataclass
class Store:
    contests: dict[uuid.UUID, Contest] = field(default_factory=dict)
    entries: dict[uuid.UUID, Entry] = field(default_factory=dict)
    attachments: dict[str, AttachmentRow] = field(default_factory=dict)
    responses: dict[tuple[str, str], IdempotencyKeyRow] = field(default_factory=dict)
    slots: dict[uuid.UUID, dict[str, int]] = field(default_factory=dict)
    """The slots each live entry's authors hold in its nomination, by identity key."""
    revisions: dict[uuid.UUID, list[EntryRevisionRow]] = field(default_factory=dict)


class FakeRepository:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lose_next_race = False
        """Make the next conditional write find that another request changed the row first."""

    async def add_contest(self, contest: Contest, now: datetime) -> None:
        self.store.contests[contest.id] = contest

    async def get_contest(
        self, contest_id: uuid.UUID, *, share_lock: bool = False, for_update: bool = False
    ) -> Contest | None:
        return self.store.contests.get(contest_id)

    async def save_contest(
        self, contest: Contest, *, expected_status: ContestStatus, expected_revision: int
    ) -> bool:
        stored = self.store.contests[contest.id]
        if self._lost_race() or stored.status is not expected_status or stored.revision != expected_revision:
            return False
        self.store.contests[contest.id] = contest
        return True

    async def live_entry_counts(self, contest_id: uuid.UUID) -> tuple[dict[str, int], dict[str, int]]:
        by_nomination: dict[str, int] = {}
        by_territory: dict[str, int] = {}
        for entry in self._of(contest_id):
            if entry.is_withdrawn:
                continue
            code = entry.content.nomination_code
            by_nomination[code] = by_nomination.get(code, 0) + 1
            for territory in {a.territory_code for a in entry.content.authors}:
                by_territory[territory] = by_territory.get(territory, 0) + 1
        return by_nomination, by_territory

    async def record_revision(self, entry: Entry, changed: Iterable[str]) -> None:
        self.store.revisions.setdefault(entry.id, []).append(
            EntryRevisionRow(
                entry_id=entry.id,
                revision=entry.revision,
                contest_id=entry.contest_id,
                at=entry.updated_at,
                changed=list(changed),
                title=entry.content.title,
            )
        )

    async def entry_revisions(self, entry_id: uuid.UUID) -> list[EntryRevisionRow]:
        return list(self.store.revisions.get(entry_id, []))

    async def list_contests(self, *, published_only: bool) -> list[Contest]:
        return [
            c
            for c in self.store.contests.values()
            if c.status is not ContestStatus.DRAFT or not published_only
        ]

    async def change_contest_status(self, contest: Contest, *, expected: ContestStatus) -> bool:
        if self._lost_race() or self.store.contests[contest.id].status is not expected:
            return False
        self.store.contests[contest.id] = contest
        return True

    async def contests_due(self, now: datetime) -> list[uuid.UUID]:
        return [
            c.id
            for c in self.store.contests.values()
            if c.status is ContestStatus.PUBLISHED and c.window.has_closed(now)
        ]

    async def add_entry(self, entry: Entry, slots: Mapping[str, int]) -> None:
        self.store.entries[entry.id] = entry
        self.store.slots[entry.id] = dict(slots)

    async def save_entry(
        self, entry: Entry, *, previous_revision: int, slots: Mapping[str, int] | None = None
    ) -> bool:
        if self._lost_race() or self.store.entries[entry.id].revision != previous_revision:
            return False
        self.store.entries[entry.id] = entry
        self.store.slots[entry.id] = {} if entry.is_withdrawn else dict(slots or {})
        return True

    async def taken_slots(
        self,
        contest_id: uuid.UUID,
        nomination_code: str,
        keys: Iterable[str],
        *,
        besides: uuid.UUID | None = None,
    ) -> dict[str, set[int]]:
        wanted, taken = set(keys), dict[str, set[int]]()
        for entry in self._of(contest_id):
            if entry.id != besides and entry.content.nomination_code == nomination_code:
                for key, slot in self.store.slots.get(entry.id, {}).items():
                    if key in wanted:
                        taken.setdefault(key, set()).add(slot)
        return taken

    async def get_entry(self, entry_id: uuid.UUID) -> Entry | None:
        return self.store.entries.get(entry_id)

    async def get_entry_row(self, entry_id: uuid.UUID) -> EntryRow | None:
        entry = self.store.entries.get(entry_id)
        return entry_to_row(entry) if entry else None

    async def entries_sharing_authors(self, contest_id: uuid.UUID, keys: Iterable[str]) -> list[Entry]:
        wanted = set(keys)
        return [e for e in self._of(contest_id) if wanted & e.content.author_keys()]

    async def all_entry_rows(self, contest_id: uuid.UUID) -> list[EntryRow]:
        return [entry_to_row(e) for e in self._of(contest_id)]

    async def find_entry_rows(
        self, contest_id: uuid.UUID, where: EntryFilter, *, offset: int, limit: int
    ) -> tuple[list[EntryRow], int]:
        found = [e for e in self._of(contest_id) if not where.query or matches(e, where.query)]
        return [entry_to_row(e) for e in found[offset : offset + limit]], len(found)

    async def add_attachment(self, row: AttachmentRow) -> None:
        self.store.attachments[row.key] = row

    async def attachments(self, contest_id: uuid.UUID, keys: Iterable[str]) -> dict[str, AttachmentRow]:
        return {k: r for k in keys if (r := self.store.attachments.get(k)) and r.contest_id == contest_id}

    async def lock_pending_uploads(self, contest_id: uuid.UUID) -> None:
        return None

    async def pending_uploads(self, contest_id: uuid.UUID, client: str) -> PendingUploads:
        pending = [
            r for r in self.store.attachments.values() if r.contest_id == contest_id and r.entry_id is None
        ]
        mine = [r for r in pending if r.uploaded_by == client]
        return PendingUploads(
            client_files=len(mine),
            client_bytes=sum(r.size_bytes for r in mine),
            contest_files=len(pending),
            contest_bytes=sum(r.size_bytes for r in pending),
        )

    async def claim_attachments(self, entry_id: uuid.UUID, contest_id: uuid.UUID, keys: Iterable[str]) -> int:
        claimed = 0
        for key in set(keys):
            row = self.store.attachments.get(key)
            if row and row.contest_id == contest_id and row.entry_id in (None, entry_id):
                row.entry_id, row.uploaded_by, row.unreferenced_since = entry_id, None, None
                claimed += 1
        return claimed

    async def release_attachments(self, entry_id: uuid.UUID, *, keeping: Iterable[str], now: datetime) -> int:
        kept = set(keeping)
        released = [
            r for r in self.store.attachments.values() if r.entry_id == entry_id and r.key not in kept
        ]
        for row in released:
            row.entry_id, row.unreferenced_since = None, now
        return len(released)

    async def unreferenced_uploads(self, before: datetime, limit: int) -> list[str]:
        old = [
            r for r in self.store.attachments.values() if r.entry_id is None and r.unreferenced_since < before
        ]  # type: ignore[operator]
        return [r.key for r in sorted(old, key=lambda r: (r.unreferenced_since, r.key))][:limit]

    async def delete_unreferenced_uploads(self, keys: Iterable[str], before: datetime) -> list[str]:
        gone = [k for k in keys if k in await self.unreferenced_uploads(before, len(self.store.attachments))]
        for key in gone:
            del self.store.attachments[key]
        return gone

    async def idempotent_response(self, scope: str, key: str) -> IdempotencyKeyRow | None:
        return self.store.responses.get((scope, key))

    async def remember_response(self, row: IdempotencyKeyRow) -> None:
        self.store.responses[(row.scope, row.key)] = row

    async def forget_responses_before(self, cutoff: datetime) -> int:
        return 0

    def _of(self, contest_id: uuid.UUID) -> list[Entry]:
        found = [e for e in self.store.entries.values() if e.contest_id == contest_id]
        return sorted(found, key=lambda e: (e.submitted_at, str(e.id)))

    def _lost_race(self) -> bool:
        lost, self.lose_next_race = self.lose_next_race, False
        return lost


class FakeUnitOfWork:
    def __init__(self, repository: FakeRepository) -> None:
        self._repository = repository
        self.events: list[Event] = []

    @property
    def repository(self) -> FakeRepository:
        return self._repository

    async def emit(self, event: Event, *, contest_id: uuid.UUID) -> None:
        self.events.append(event)


class FakeDatabase:
    """Commits a unit of work's changes and events on a clean exit; drops both on an error."""

    def __init__(self) -> None:
        self.store = Store()
        self.repository = FakeRepository(self.store)
        self.published: list[Event] = []

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[FakeUnitOfWork]:
        before = copy.deepcopy(self.store)
        uow = FakeUnitOfWork(self.repository)
        try:
            yield uow
        except BaseException:
            self.store.__dict__.update(before.__dict__)
            raise
        self.published.extend(uow.events)

    def events_of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.published if isinstance(e, kind)]


def fake_context(database: FakeDatabase, clock: Clock, tmp_path: Path) -> SubmissionsContext:
    return SubmissionsContext(
        unit_of_work=database.unit_of_work,  # type: ignore[arg-type]
        clock=clock,
        storage=LocalDiskStorage(tmp_path),
        public_base_url="https://contest.example.org",
        grant_key=GRANT_KEY,
    )
