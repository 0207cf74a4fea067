"""The SQL repository of contests, entries, attachments and idempotency keys, inside one session."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, and_, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, col

from ..domain.contest import Contest, ContestStatus
from ..domain.entry import Entry, EntryStatus
from .rows import (
    author_key_values,
    author_values,
    contest_to_row,
    entry_values,
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


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


_CONTESTS, _ENTRIES = _table(ContestRow), _table(EntryRow)
_AUTHORS, _AUTHOR_KEYS = _table(EntryAuthorRow), _table(EntryAuthorKeyRow)


class _HotPath:
    """The statements of POST entry, built once with bound parameters. SQLAlchemy computes a
    statement's cache key on every execution of a new statement object and once for a kept one."""

    contest = select(_CONTESTS).where(_CONTESTS.c.id == bindparam("contest_id"))
    contest_for_share = contest.with_for_update(read=True)
    entries_sharing_keys = select(_ENTRIES).where(
        _ENTRIES.c.id.in_(
            select(_AUTHOR_KEYS.c.entry_id)
            .where(
                _AUTHOR_KEYS.c.contest_id == bindparam("contest_id"),
                _AUTHOR_KEYS.c.key.in_(bindparam("keys", expanding=True)),
            )
            .distinct()
        )
    )
    insert_entry = _ENTRIES.insert()
    insert_authors = _AUTHORS.insert()
    insert_author_keys = _AUTHOR_KEYS.insert()


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """What an organiser narrows the list of a contest's entries by; None means any."""

    nomination_code: str | None = None
    territory_code: str | None = None
    status: str | None = None
    query: str | None = None


class SqlRepository:
    """Reads and writes the submissions tables through the caller's session (and transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._connection: AsyncConnection | None = None

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

    async def get_contest(self, contest_id: uuid.UUID, *, share_lock: bool = False) -> Contest | None:
        """The contest; with `share_lock` (PostgreSQL) closing it waits until this transaction ends."""
        statement = _HotPath.contest_for_share if share_lock else _HotPath.contest
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

    async def contests_due(self, now: datetime) -> list[uuid.UUID]:
        """Published contests whose deadline has come."""
        statement = select(col(ContestRow.id)).where(
            col(ContestRow.status) == ContestStatus.PUBLISHED.value,
            col(ContestRow.closes_at) <= utc(now),
        )
        return list((await self.session.scalars(statement)).all())

    # --- entries ---------------------------------------------------------------------------------

    async def add_entry(self, entry: Entry) -> None:
        """Insert the entry, its authors and their keys (Core inserts: this is the hot path of POST)."""
        values = entry_values(entry) | {"progress": "submitted", "progress_detail": {}}
        await (await self._core()).execute(_HotPath.insert_entry, values)
        await self._insert_authors(entry)

    async def _insert_authors(self, entry: Entry) -> None:
        connection = await self._core()
        await connection.execute(_HotPath.insert_authors, author_values(entry))
        await connection.execute(_HotPath.insert_author_keys, author_key_values(entry))

    async def save_entry(self, entry: Entry, *, previous_revision: int) -> bool:
        """Store the entry's next revision unless another change got there first (then False)."""
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
        await self._insert_authors(entry)
        return True

    async def get_entry(self, entry_id: uuid.UUID) -> Entry | None:
        row = await self.get_entry_row(entry_id)
        return row_to_entry(row) if row else None

    async def get_entry_row(self, entry_id: uuid.UUID) -> EntryRow | None:
        return await self.session.get(EntryRow, entry_id)

    async def entries_sharing_authors(self, contest_id: uuid.UUID, keys: Iterable[str]) -> list[Entry]:
        """The contest's entries with an author key in `keys`: all a duplicate or limit check needs."""
        parameters = {"contest_id": contest_id, "keys": sorted(keys)}
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

    # --- idempotency -----------------------------------------------------------------------------

    async def idempotent_response(self, scope: str, key: str) -> IdempotencyKeyRow | None:
        statement = select(IdempotencyKeyRow).where(
            and_(col(IdempotencyKeyRow.scope) == scope, col(IdempotencyKeyRow.key) == key)
        )
        return (await self.session.scalars(statement)).first()

    async def remember_response(self, row: IdempotencyKeyRow) -> None:
        self.session.add(row)
        await self.session.flush()

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
    for term in search_terms(where.query or ""):
        conditions.append(col(EntryRow.search_document).like(like_pattern(term), escape="\\"))
    return conditions
