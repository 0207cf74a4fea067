"""The SQL repository of contests, entries, attachments and idempotency keys, inside one session."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, and_, bindparam, case, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, col

from kaleidoscope_shared.sealing import is_sealed, seal, unseal
from kaleidoscope_shared.settings import DEVELOPMENT_LINK_KEY

from ..domain.contest import Contest, ContestStatus
from ..domain.entry import Entry, EntryStatus
from ..service_layer.ports import PendingUploads
from .rows import (
    author_key_values,
    author_values,
    contest_to_row,
    contest_values,
    entry_values,
    key_digest,
    row_to_contest,
    row_to_entry,
    utc,
)
from .search import like_pattern, search_terms
from .tables import (
    AttachmentRow,
    ContestRow,
    EntryAuthorKeyRow,
    EntryAuthorRow,
    EntryRevisionRow,
    EntryRow,
    IdempotencyKeyRow,
)

ENTRY_CHANGEABLE_COLUMNS = (
    "revision",
    "status",
    "nomination_code",
    "title",
    "content",
    "search_document",
    "updated_at",
    "withdrawn_at",
    "withdrawal_reason",
)
ENTRY_STATUSES = frozenset(s.value for s in EntryStatus)
SEALED_RESPONSE = "sealed"
"""The one key of a stored idempotent answer: the answer as JSON, sealed with the link key."""


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


_CONTESTS, _ENTRIES = _table(ContestRow), _table(EntryRow)
_AUTHORS, _AUTHOR_KEYS = _table(EntryAuthorRow), _table(EntryAuthorKeyRow)


class _HotPath:
    """The statements of POST entry, built once with bound parameters. SQLAlchemy computes a
    statement's cache key on every execution of a new statement object and once for a kept one."""

    contest = select(_CONTESTS).where(_CONTESTS.c.id == bindparam("contest_id"))
    contest_for_share = contest.with_for_update(read=True)
    contest_for_update = contest.with_for_update()
    entries_sharing_keys = select(_ENTRIES).where(
        _ENTRIES.c.id.in_(
            select(_AUTHOR_KEYS.c.entry_id)
            .where(
                _AUTHOR_KEYS.c.contest_id == bindparam("contest_id"),
                _AUTHOR_KEYS.c.author_key.in_(bindparam("keys", expanding=True)),
            )
            .distinct()
        )
    )
    slots_of_keys = select(_AUTHOR_KEYS.c.entry_id, _AUTHOR_KEYS.c.author_key, _AUTHOR_KEYS.c.slot).where(
        _AUTHOR_KEYS.c.contest_id == bindparam("contest_id"),
        _AUTHOR_KEYS.c.nomination_code == bindparam("nomination_code"),
        _AUTHOR_KEYS.c.author_key.in_(bindparam("keys", expanding=True)),
    )
    insert_entry = _ENTRIES.insert()
    insert_authors = _AUTHORS.insert()
    insert_author_keys = _AUTHOR_KEYS.insert()


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """What an organiser narrows the list of a contest's entries by; None means any."""

    nomination_code: str | None = None
    territory_code: str | None = None
    territory_codes: tuple[str, ...] | None = None
    """Any of these (an author's territory): a territory kind's codes, resolved from the contest."""
    status: str | None = None
    query: str | None = None


class SqlRepository:
    """Reads and writes the submissions tables through the caller's session (and transaction)."""

    def __init__(self, session: AsyncSession, *, link_key: str = DEVELOPMENT_LINK_KEY) -> None:
        self.session = session
        self._connection: AsyncConnection | None = None
        self._link_key = link_key
        """Seals the answers kept for idempotent retries: they hold the participant's token."""

    async def _core(self) -> AsyncConnection:
        """The session's connection, for the hot paths of POST entry: Core statements on it skip the
        ORM's per-statement work and build no row objects, in the same transaction."""
        if self._connection is None:
            self._connection = await self.session.connection()
        return self._connection

    # --- contests --------------------------------------------------------------------------------

    async def add_contest(self, contest: Contest, now: datetime) -> None:
        self.session.add(contest_to_row(contest, now))
        await self.session.flush()

    async def get_contest(
        self, contest_id: uuid.UUID, *, share_lock: bool = False, for_update: bool = False
    ) -> Contest | None:
        """The contest; with `share_lock` (PostgreSQL) closing or changing it waits until this
        transaction ends; with `for_update`, so does every submission or edit to it (they take the
        share lock), so that what this transaction counts of its entries holds until it commits."""
        statement = (
            _HotPath.contest_for_update
            if for_update
            else _HotPath.contest_for_share
            if share_lock
            else _HotPath.contest
        )
        row = (await (await self._core()).execute(statement, {"contest_id": contest_id})).first()
        return row_to_contest(row) if row else None

    async def list_contests(self, *, published_only: bool) -> list[Contest]:
        statement = select(ContestRow).order_by(col(ContestRow.created_at), col(ContestRow.id))
        if published_only:
            statement = statement.where(col(ContestRow.status) != ContestStatus.DRAFT.value)
        return [row_to_contest(row) for row in (await self.session.scalars(statement)).all()]

    async def change_contest_status(self, contest: Contest, *, expected: ContestStatus) -> bool:
        """Store the contest's new status only if it is still `expected`: one racer wins, others see False."""
        result = await self.session.execute(
            update(ContestRow)
            .where(col(ContestRow.id) == contest.id, col(ContestRow.status) == expected.value)
            .values(
                status=contest.status.value,
                published_at=utc(contest.published_at),
                submissions_closed_at=utc(contest.submissions_closed_at),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def save_contest(
        self, contest: Contest, *, expected_status: ContestStatus, expected_revision: int
    ) -> bool:
        """Store the changed contest only if its stored status and revision are still the expected ones."""
        result = await self.session.execute(
            update(ContestRow)
            .where(
                col(ContestRow.id) == contest.id,
                col(ContestRow.status) == expected_status.value,
                col(ContestRow.revision) == expected_revision,
            )
            .values(**contest_values(contest))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def live_entry_counts(self, contest_id: uuid.UUID) -> tuple[dict[str, int], dict[str, int]]:
        """How many live (not withdrawn) entries are in each nomination, and have an author of each
        territory (an entry counts once per territory)."""
        live = and_(
            col(EntryRow.contest_id) == contest_id, col(EntryRow.status) != EntryStatus.WITHDRAWN.value
        )
        by_nomination = await self.session.execute(
            select(col(EntryRow.nomination_code), func.count())
            .where(live)
            .group_by(col(EntryRow.nomination_code))
        )
        by_territory = await self.session.execute(
            select(
                col(EntryAuthorRow.territory_code), func.count(func.distinct(col(EntryAuthorRow.entry_id)))
            )
            .join(EntryRow, col(EntryRow.id) == col(EntryAuthorRow.entry_id))
            .where(live)
            .group_by(col(EntryAuthorRow.territory_code))
        )
        return (
            {code: int(n) for code, n in by_nomination.all()},
            {code: int(n) for code, n in by_territory.all()},
        )

    async def contests_due(self, now: datetime) -> list[uuid.UUID]:
        """Published contests whose deadline has come."""
        statement = select(col(ContestRow.id)).where(
            col(ContestRow.status) == ContestStatus.PUBLISHED.value,
            col(ContestRow.closes_at) <= utc(now),
        )
        return list((await self.session.scalars(statement)).all())

    # --- entries ---------------------------------------------------------------------------------

    async def add_entry(self, entry: Entry, slots: Mapping[str, int]) -> None:
        """Insert the entry, its authors and their keys in `slots` (Core inserts: the hot path of POST).

        Raises IntegrityError if a concurrent transaction took one of the slots or the same title by
        the same author first."""
        values = entry_values(entry) | {"progress": "submitted", "progress_detail": {}}
        await (await self._core()).execute(_HotPath.insert_entry, values)
        await self._insert_authors(entry, slots)

    async def _insert_authors(self, entry: Entry, slots: Mapping[str, int]) -> None:
        connection = await self._core()
        await connection.execute(_HotPath.insert_authors, author_values(entry))
        if keys := author_key_values(entry, slots):
            await connection.execute(_HotPath.insert_author_keys, keys)

    async def taken_slots(
        self,
        contest_id: uuid.UUID,
        nomination_code: str,
        keys: Iterable[str],
        *,
        besides: uuid.UUID | None = None,
    ) -> dict[str, set[int]]:
        """The slots the live entries in the nomination hold, by author identity key (of `keys`),
        leaving out those of the entry `besides`."""
        by_digest = {key_digest(key): key for key in keys}
        parameters = {
            "contest_id": contest_id,
            "nomination_code": nomination_code,
            "keys": sorted(by_digest),
        }
        taken: dict[str, set[int]] = {}
        for row in (await (await self._core()).execute(_HotPath.slots_of_keys, parameters)).all():
            if row.entry_id != besides:
                taken.setdefault(by_digest[row.author_key], set()).add(row.slot)
        return taken

    async def save_entry(
        self, entry: Entry, *, previous_revision: int, slots: Mapping[str, int] | None = None
    ) -> bool:
        """Store the entry's next revision unless another change got there first (then False).

        `slots`: those of its authors' keys, as for `add_entry`; a withdrawn entry needs none."""
        every = entry_values(entry)
        values = {name: every[name] for name in ENTRY_CHANGEABLE_COLUMNS}
        result = await self.session.execute(
            update(EntryRow)
            .where(col(EntryRow.id) == entry.id, col(EntryRow.revision) == previous_revision)
            .values(**values)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        await self.session.execute(delete(EntryAuthorRow).where(col(EntryAuthorRow.entry_id) == entry.id))
        await self.session.execute(
            delete(EntryAuthorKeyRow).where(col(EntryAuthorKeyRow.entry_id) == entry.id)
        )
        await self._insert_authors(entry, slots or {})
        return True

    async def record_revision(self, entry: Entry, changed: Iterable[str]) -> None:
        """Keep the entry's current revision in its history: when, what changed, its title then."""
        self.session.add(
            EntryRevisionRow(
                entry_id=entry.id,
                revision=entry.revision,
                contest_id=entry.contest_id,
                at=utc(entry.updated_at),
                changed=list(changed),
                title=entry.content.title,
            )
        )
        await self.session.flush()

    async def entry_revisions(self, entry_id: uuid.UUID) -> list[EntryRevisionRow]:
        statement = (
            select(EntryRevisionRow)
            .where(col(EntryRevisionRow.entry_id) == entry_id)
            .order_by(col(EntryRevisionRow.revision))
        )
        return list((await self.session.scalars(statement)).all())

    async def get_entry(self, entry_id: uuid.UUID) -> Entry | None:
        row = await self.get_entry_row(entry_id)
        return row_to_entry(row) if row else None

    async def get_entry_row(self, entry_id: uuid.UUID) -> EntryRow | None:
        return await self.session.get(EntryRow, entry_id)

    async def entries_sharing_authors(self, contest_id: uuid.UUID, keys: Iterable[str]) -> list[Entry]:
        """The contest's live entries with an author key in `keys`: all a duplicate or limit check needs."""
        parameters = {"contest_id": contest_id, "keys": sorted(key_digest(key) for key in keys)}
        rows = await (await self._core()).execute(_HotPath.entries_sharing_keys, parameters)
        return [row_to_entry(row) for row in rows.all()]

    async def all_entry_rows(self, contest_id: uuid.UUID) -> list[EntryRow]:
        statement = (
            select(EntryRow)
            .where(col(EntryRow.contest_id) == contest_id)
            .order_by(col(EntryRow.submitted_at), col(EntryRow.id))
        )
        return list((await self.session.scalars(statement)).all())

    async def find_entry_rows(
        self, contest_id: uuid.UUID, where: EntryFilter, *, offset: int, limit: int
    ) -> tuple[list[EntryRow], int]:
        """One page of the contest's entries matching `where`, oldest first, and how many match in all."""
        conditions = [col(EntryRow.contest_id) == contest_id, *_conditions(where)]
        total = await self.session.scalar(select(func.count()).select_from(EntryRow).where(*conditions))
        statement = (
            select(EntryRow)
            .where(*conditions)
            .order_by(col(EntryRow.submitted_at), col(EntryRow.id))
            .offset(offset)
            .limit(limit)
        )
        return list((await self.session.scalars(statement)).all()), int(total or 0)

    async def entry_rows_by_id(self, entry_ids: Iterable[uuid.UUID]) -> list[EntryRow]:
        ids = list(entry_ids)
        if not ids:
            return []
        return list((await self.session.scalars(select(EntryRow).where(col(EntryRow.id).in_(ids)))).all())

    # --- attachments -----------------------------------------------------------------------------

    async def add_attachment(self, row: AttachmentRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def attachments(self, contest_id: uuid.UUID, keys: Iterable[str]) -> dict[str, AttachmentRow]:
        statement = select(AttachmentRow).where(
            col(AttachmentRow.contest_id) == contest_id,
            col(AttachmentRow.key).in_(sorted(set(keys))),
        )
        return {row.key: row for row in (await self.session.scalars(statement)).all()}

    async def lock_pending_uploads(self, contest_id: uuid.UUID) -> None:
        """PostgreSQL: a transaction-scoped advisory lock on the contest's uploads, so that concurrent
        uploads are counted against the quotas one after the other. SQLite: the unit of work already
        runs one transaction at a time in a process (and SQLite is for a single process)."""
        if (await self._core()).dialect.name == "postgresql":
            lock_key = (contest_id.int >> 64) - (1 << 63)  # a signed 64-bit key derived from the id
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})

    async def pending_uploads(self, contest_id: uuid.UUID, client: str) -> PendingUploads:
        pending = and_(col(AttachmentRow.contest_id) == contest_id, col(AttachmentRow.entry_id).is_(None))
        mine = col(AttachmentRow.uploaded_by) == client
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(col(AttachmentRow.size_bytes)), 0),
                    func.coalesce(func.sum(case((mine, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((mine, col(AttachmentRow.size_bytes)), else_=0)), 0),
                ).where(pending)
            )
        ).one()
        return PendingUploads(
            client_files=int(row[2]),
            client_bytes=int(row[3]),
            contest_files=int(row[0]),
            contest_bytes=int(row[1]),
        )

    async def claim_attachments(self, entry_id: uuid.UUID, contest_id: uuid.UUID, keys: Iterable[str]) -> int:
        wanted = sorted(set(keys))
        if not wanted:
            return 0
        result = await self.session.execute(
            update(AttachmentRow)
            .where(
                col(AttachmentRow.contest_id) == contest_id,
                col(AttachmentRow.key).in_(wanted),
                or_(col(AttachmentRow.entry_id).is_(None), col(AttachmentRow.entry_id) == entry_id),
            )
            .values(entry_id=entry_id, uploaded_by=None, unreferenced_since=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def release_attachments(self, entry_id: uuid.UUID, *, keeping: Iterable[str], now: datetime) -> int:
        result = await self.session.execute(
            update(AttachmentRow)
            .where(
                col(AttachmentRow.entry_id) == entry_id, col(AttachmentRow.key).not_in(sorted(set(keeping)))
            )
            .values(entry_id=None, unreferenced_since=utc(now))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def unreferenced_uploads(self, before: datetime, limit: int) -> list[str]:
        statement = (
            select(col(AttachmentRow.key))
            .where(col(AttachmentRow.entry_id).is_(None), col(AttachmentRow.unreferenced_since) < utc(before))
            .order_by(col(AttachmentRow.unreferenced_since), col(AttachmentRow.key))
            .limit(limit)
        )
        return list((await self.session.scalars(statement)).all())

    async def delete_unreferenced_uploads(self, keys: Iterable[str], before: datetime) -> list[str]:
        """The conditions are checked again as each row is deleted: a file an entry claimed meanwhile
        (its row updated first) is kept, and an entry claiming a file deleted here finds no row."""
        wanted = sorted(set(keys))
        if not wanted:
            return []
        result = await self.session.execute(
            delete(AttachmentRow)
            .where(
                col(AttachmentRow.key).in_(wanted),
                col(AttachmentRow.entry_id).is_(None),
                col(AttachmentRow.unreferenced_since) < utc(before),
            )
            .returning(col(AttachmentRow.key))
            .execution_options(synchronize_session=False)
        )
        return list(result.scalars().all())

    # --- idempotency -----------------------------------------------------------------------------

    # The answer replayed to a retry holds the participant's token (and their private link): it is
    # stored sealed with the link key, as `{"sealed": "sealed:v1:…"}`, and opened only to be replayed.

    async def idempotent_response(self, scope: str, key: str) -> IdempotencyKeyRow | None:
        """The remembered answer, opened: a row apart from the session (the stored one stays sealed).
        An answer kept in clear (written before answers were sealed, and deleted by the migration
        that came with sealing) is replayed as it is."""
        statement = select(IdempotencyKeyRow).where(
            and_(col(IdempotencyKeyRow.scope) == scope, col(IdempotencyKeyRow.key) == key)
        )
        stored = (await self.session.scalars(statement)).first()
        if stored is None:
            return None
        sealed = stored.response.get(SEALED_RESPONSE) if isinstance(stored.response, dict) else None
        if not isinstance(sealed, str) or not is_sealed(sealed):
            return stored
        return IdempotencyKeyRow(
            id=stored.id,
            scope=stored.scope,
            key=stored.key,
            request_sha256=stored.request_sha256,
            status_code=stored.status_code,
            response=json.loads(unseal(sealed, self._link_key)),
            created_at=stored.created_at,
        )

    async def remember_response(self, row: IdempotencyKeyRow) -> None:
        """Keep `row`, its answer sealed (the caller's row object is left as it was)."""
        answer = json.dumps(row.response, separators=(",", ":"), ensure_ascii=False)
        stored = IdempotencyKeyRow(
            scope=row.scope,
            key=row.key,
            request_sha256=row.request_sha256,
            status_code=row.status_code,
            response={SEALED_RESPONSE: seal(answer, self._link_key)},
            created_at=row.created_at,
        )
        self.session.add(stored)
        await self.session.flush()
        row.id = stored.id

    async def forget_responses_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(
            delete(IdempotencyKeyRow).where(col(IdempotencyKeyRow.created_at) < cutoff)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _conditions(where: EntryFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.nomination_code:
        conditions.append(col(EntryRow.nomination_code) == where.nomination_code)
    if where.status in ENTRY_STATUSES:
        conditions.append(col(EntryRow.status) == where.status)
    elif where.status:
        conditions.append(col(EntryRow.progress) == where.status)
    if where.territory_code:
        conditions.append(
            col(EntryRow.id).in_(
                select(col(EntryAuthorRow.entry_id)).where(
                    col(EntryAuthorRow.territory_code) == where.territory_code
                )
            )
        )
    if where.territory_codes is not None:
        conditions.append(
            col(EntryRow.id).in_(
                select(col(EntryAuthorRow.entry_id)).where(
                    col(EntryAuthorRow.territory_code).in_(sorted(where.territory_codes))
                )
            )
        )
    for term in search_terms(where.query or ""):
        conditions.append(col(EntryRow.search_document).like(like_pattern(term), escape="\\"))
    return conditions
