"""Every moment read back from either database carries its UTC offset and is the moment written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Column, Integer, MetaData, Table, select

from kaleidoscope_shared.db import UtcDateTime, create_engine, create_tables


async def test_a_moment_comes_back_aware_and_equal_on_both_databases(database_url: str) -> None:
    metadata = MetaData()
    moments = Table("moments", metadata, Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))
    engine = create_engine(database_url)
    try:
        await create_tables(engine, metadata)
        novokuznetsk = datetime(2024, 9, 28, 11, 0, tzinfo=timezone(timedelta(hours=7)))
        naive_utc = datetime(2024, 9, 28, 4, 0)
        async with engine.begin() as connection:
            await connection.execute(
                moments.insert(), [{"id": 1, "at": novokuznetsk}, {"id": 2, "at": naive_utc}]
            )
        async with engine.connect() as connection:
            rows = {row.id: row.at for row in await connection.execute(select(moments.c.id, moments.c.at))}
        for value in rows.values():
            assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert rows[1] == novokuznetsk  # the same moment, now told in UTC
        assert rows[1].isoformat() == "2024-09-28T04:00:00+00:00"
        assert rows[2] == naive_utc.replace(tzinfo=UTC)
    finally:
        await engine.dispose()
