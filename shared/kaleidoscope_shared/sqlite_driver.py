"""SQLite through aiosqlite with one trip to the connection's thread per statement.

aiosqlite runs every call on a thread of its own, and SQLAlchemy's adapter makes four such calls for
a query (open a cursor, execute, fetch the rows, close the cursor) and three for a write. Each trip
wakes the thread, then wakes the event loop through its self-pipe; on the hot paths (an entry's POST,
the outbox relay, the consumer's inbox) those trips cost more than SQLite's own work. The cursor
below does the four steps in one function on the connection's thread and keeps what SQLAlchemy
reads afterwards (description, rows, rowcount, lastrowid). Everything else is SQLAlchemy's aiosqlite
dialect as it is: pass `module=one_trip_aiosqlite()` to `create_async_engine`.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]


def _run(connection: aiosqlite.Connection, work: Callable[[sqlite3.Cursor], None]) -> _Outcome:
    """On the connection's thread: a cursor, the statement, every row, and the cursor closed."""
    cursor = connection._conn.cursor()
    try:
        work(cursor)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement, with its rows, is one call on the connection's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # no aiosqlite cursor is opened here: `_run` opens and closes a sqlite3 one per statement
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        """Nothing stays open between statements."""

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if parameters is None:
            return self._one_trip(lambda cursor: cursor.execute(operation))
        return self._one_trip(lambda cursor: cursor.execute(operation, parameters))

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        return self._one_trip(lambda cursor: cursor.executemany(operation, seq_of_parameters))

    def _one_trip(self, work: Callable[[sqlite3.Cursor], Any]) -> None:
        try:
            outcome = await_(self._execute_on_thread(work))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_on_thread(self, work: Callable[[sqlite3.Cursor], Any]) -> _Outcome:
        async with self._adapt_connection._execute_mutex:
            return await self._connection._execute(_run, self._connection, work)  # type: ignore[no-any-return]


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass of the declared cursor class


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> OneTripConnection:
        adapted = super().connect(*args, **kwargs)
        return OneTripConnection(self, adapted._connection)


def one_trip_aiosqlite() -> OneTripDBAPI:
    """The DBAPI module to give SQLAlchemy's aiosqlite dialect (`create_async_engine(..., module=)`)."""
    return OneTripDBAPI(aiosqlite, sqlite3)
