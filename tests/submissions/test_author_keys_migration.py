"""The revision that backs the duplicate and per-author limit rules with unique indexes rebuilds
entry_author_keys from the entries already stored, on SQLite and PostgreSQL: the same keys the service
computes today, slots in the order entries came, none for withdrawn entries, and an upgrade that does
not fail on a duplicate let through by a race before it. Downgrading rebuilds the former keys."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command

from kaleidoscope_shared.db import create_engine
from kaleidoscope_shared.migrations import migration_config, upgrade_to_head
from submissions.adapters.rows import entry_values, key_digest
from submissions.adapters.tables import EntryRow
from submissions.domain import Entry, EntryStatus
from submissions.domain.text import normalise_title

from .conftest import DURING, make_author, make_content

ENTRIES: sa.Table = EntryRow.__table__  # type: ignore[attr-defined]
BEFORE = "98a930e9356a"
"""The revision before entry_author_keys held slots and titles."""


def entry(contest_id: uuid.UUID, minutes: int, **content: Any) -> Entry:
    moment = DURING + timedelta(minutes=minutes)
    return Entry(
        id=uuid.uuid4(),
        contest_id=contest_id,
        revision=1,
        content=make_content(**content),
        submitted_at=moment,
        updated_at=moment,
        token_sha256="0" * 64,
    )


def run(database_url: str, work: Any) -> Any:
    async def go() -> Any:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def insert_entries(database_url: str, entries: list[Entry]) -> None:
    """Stored as the service stored them (the entries table is the same at both revisions)."""
    rows = [entry_values(e) | {"progress": "submitted", "progress_detail": {}} for e in entries]
    run(database_url, lambda connection: connection.execute(ENTRIES.insert(), rows))


def key_rows(database_url: str, *columns: str) -> list[dict[str, Any]]:
    table = sa.table("entry_author_keys", sa.column("entry_id", sa.Uuid()), *map(sa.column, columns))

    def read(connection: Any) -> list[dict[str, Any]]:
        return [dict(row._mapping) for row in connection.execute(sa.select(table)).all()]

    return run(database_url, read)  # type: ignore[no-any-return]


def test_the_keys_are_rebuilt_with_slots_for_the_live_entries(database_url: str) -> None:
    config = migration_config("submissions", database_url)
    command.upgrade(config, BEFORE)
    contest_id = uuid.uuid4()
    first = entry(contest_id, 0, title="Первая практика")
    second = entry(contest_id, 1, title="Вторая практика")
    withdrawn = entry(contest_id, 2, title="Отозванная").model_copy(
        update={"status": EntryStatus.WITHDRAWN, "withdrawn_at": DURING, "withdrawal_reason": "ошибка"}
    )
    raced = entry(contest_id, 3, title="«Первая  практика»")
    namesake = make_author(email=None, library="Чебулинская библиотека")
    elsewhere = entry(contest_id, 4, title="Первая практика", authors=(namesake,))
    insert_entries(database_url, [second, withdrawn, first, raced, elsewhere])

    upgrade_to_head("submissions", database_url)

    columns = ("author_key", "nomination_code", "title_key", "slot")
    rows = {row["entry_id"]: row for row in key_rows(database_url, *columns)}
    assert set(rows) == {first.id, second.id, raced.id, elsewhere.id}
    author = key_digest(make_author().identity_key())
    assert [rows[e.id]["author_key"] for e in (first, second, raced)] == [author] * 3
    assert [rows[e.id]["slot"] for e in (first, second, raced)] == [1, 2, 3]
    assert rows[first.id]["title_key"] == key_digest(normalise_title("Первая практика"))
    assert rows[raced.id]["title_key"] != rows[first.id]["title_key"]
    assert rows[elsewhere.id]["author_key"] == key_digest(namesake.identity_key())
    assert (rows[elsewhere.id]["slot"], rows[elsewhere.id]["title_key"]) == (1, rows[first.id]["title_key"])
    assert rows[second.id]["nomination_code"] == "service-guide"

    command.downgrade(config, BEFORE)
    old = {(row["entry_id"], row["key"]) for row in key_rows(database_url, "key")}
    assert (withdrawn.id, "email:o.zavodisker@example.org") in old
    assert (elsewhere.id, "name:заводискер оксана юрьевна") in old
    assert len(old) == 2 * 4 + 1
