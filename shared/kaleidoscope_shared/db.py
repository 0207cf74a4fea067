"""Async database engines for SQLite (the embedded default) and PostgreSQL, configured alike."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

from .sqlite_driver import one_trip_aiosqlite

SessionFactory = async_sessionmaker[AsyncSession]


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, always read back with its UTC offset, on both databases.

    PostgreSQL keeps `timestamptz` and returns it aware; SQLite keeps text without an offset, so a
    moment is stored converted to UTC and read back marked as UTC — a value written and read again
    is the same moment, and every answer carries `+00:00`."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # naive moments in this code base are UTC
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def create_engine(database_url: str) -> AsyncEngine:
    """An engine whose SQLite connections use WAL, wait for locks instead of failing at once, and make
    one trip to aiosqlite's thread per statement (`sqlite_driver`)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, module=one_trip_aiosqlite())
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_tables(engine: AsyncEngine, metadata: MetaData, attempts: int = 5) -> None:
    """Create missing tables. An API and a worker starting together may race to create the same
    table; the loser sees the winner's table on its next attempt."""
    for attempt in range(attempts):
        try:
            async with engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))


def is_postgresql(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


_UNAVAILABLE_DRIVER_ERRORS = {
    # asyncpg's names for "the server is not there, is starting or is shutting down"
    "CannotConnectNowError",
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "PostgresConnectionError",
    "AdminShutdownError",
    "CrashShutdownError",
    "TooManyConnectionsError",
    "ConnectionRejectionError",
    "InternalClientError",
}


def is_database_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database could not be reached or was busy (connection refused, server
    shutting down, connection lost, pool exhausted, SQLite locked) rather than that a statement was
    wrong. Such errors are the database's, not the caller's: retried later, answered 503, never
    counted against an event. The exception's causes are looked at too."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (InterfaceError, PoolTimeout, OSError)):
            return True
        if isinstance(current, OperationalError) and _is_unavailable_operational(current):
            return True
        if type(current).__name__ in _UNAVAILABLE_DRIVER_ERRORS:
            return True
        current = current.__cause__ or current.__context__
    return False


_SQLITE_BUSY = ("database is locked", "database table is locked", "unable to open database", "disk i/o error")


def _is_unavailable_operational(error: OperationalError) -> bool:
    """SQLite reports a wrong statement ("no such table") as OperationalError too: only its busy and
    unreachable cases count. Other drivers report only connection trouble this way."""
    if type(error.orig).__module__.startswith("sqlite3") or "sqlite" in type(error.orig).__module__:
        message = str(error.orig).lower()
        return any(text in message for text in _SQLITE_BUSY)
    return True
