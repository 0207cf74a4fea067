"""The SQL unit of work: one session, one transaction, the outbox written inside it."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from kaleidoscope_shared.bus.outbox import Outbox
from kaleidoscope_shared.contracts import Event
from kaleidoscope_shared.db import SessionFactory
from kaleidoscope_shared.settings import DEVELOPMENT_LINK_KEY

from ..domain.integration_events import with_links_sealed
from .repository import SqlRepository


class SqlUnitOfWork:
    def __init__(
        self, repository: SqlRepository, outbox: Outbox, *, link_key: str = DEVELOPMENT_LINK_KEY
    ) -> None:
        self.repository = repository
        self._outbox = outbox
        self._link_key = link_key

    async def emit(self, event: Event, *, contest_id: uuid.UUID) -> None:
        """Writes `event` to the outbox, a private link in it sealed first (never in clear on the bus)."""
        event = with_links_sealed(event, self._link_key)
        await self._outbox.add(self.repository.session, event, contest_id=contest_id)


def sql_unit_of_work(
    sessions: SessionFactory,
    outbox: Outbox,
    *,
    one_at_a_time: bool = False,
    link_key: str = DEVELOPMENT_LINK_KEY,
) -> Callable[[], AbstractAsyncContextManager[SqlUnitOfWork]]:
    """A factory of units of work: `async with unit_of_work() as uow:` commits on a clean exit.

    `one_at_a_time` (for SQLite, which has a single writer) runs this process's transactions one
    after the other: waiting on an asyncio lock is immediate when it frees, whereas SQLite's own busy
    handler sleeps and polls, which under concurrent requests multiplies the tail latency.
    `link_key` (the `link_key` setting) seals the private links in events and the answers kept for
    idempotent retries.
    """
    lock = asyncio.Lock() if one_at_a_time else None

    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[SqlUnitOfWork]:
        # the lock covers the transaction, not the connection's reset when the session closes
        async with sessions() as session, lock or contextlib.nullcontext(), session.begin():
            yield SqlUnitOfWork(SqlRepository(session, link_key=link_key), outbox, link_key=link_key)

    return unit_of_work
