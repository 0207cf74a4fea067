"""The SQLite driver that makes one trip to aiosqlite's thread per statement behaves as a DBAPI."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from kaleidoscope_shared.db import create_engine

# A real SQLite database on disk, without the `database_url` fixture.
pytestmark = pytest.mark.integration

METADATA = MetaData()
ITEMS = Table("items", METADATA, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


@pytest.fixture
async def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    async with engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    yield engine
    await engine.dispose()


async def test_rows_rowcount_and_lastrowid_come_back_as_from_sqlite3(engine) -> None:  # type: ignore[no-untyped-def]
    async with engine.begin() as connection:
        inserted = await connection.execute(insert(ITEMS).values(name="first"))
        assert inserted.inserted_primary_key == (1,)
        await connection.execute(insert(ITEMS), [{"name": "second"}, {"name": "third"}])
        changed = await connection.execute(
            update(ITEMS).where(ITEMS.c.id > 1).values(name=ITEMS.c.name + "!")
        )
        assert changed.rowcount == 2
        rows = (await connection.execute(select(ITEMS).order_by(ITEMS.c.id))).all()
    assert [tuple(row) for row in rows] == [(1, "first"), (2, "second!"), (3, "third!")]


async def test_a_constraint_violation_is_sqlalchemys_integrity_error_and_rolls_back(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(insert(ITEMS).values(name="same"))
            await connection.execute(insert(ITEMS).values(name="same"))
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM items"))).scalar() == 0


async def test_a_statement_is_one_call_on_the_connections_thread(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[object] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(fn)
        return await original(self, fn, *args, **kwargs)

    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the connection is open and configured
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        result = await connection.execute(select(ITEMS.c.id, ITEMS.c.name))
        assert result.all() == []
        assert len(calls) == 1
