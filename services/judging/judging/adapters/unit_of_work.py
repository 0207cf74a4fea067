"""The SQL unit of work: one session, one transaction, committed on a clean exit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from kaleidoscope_shared.db import SessionFactory

from .repository import SqlRepository


class SqlUnitOfWork:
    def __init__(self, repository: SqlRepository) -> None:
        self.repository = repository


def sql_unit_of_work(sessions: SessionFactory) -> Callable[[], AbstractAsyncContextManager[SqlUnitOfWork]]:
    """A factory of units of work: `async with unit_of_work() as uow:` commits on a clean exit."""

    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[SqlUnitOfWork]:
        async with sessions() as session, session.begin():
            yield SqlUnitOfWork(SqlRepository(session))

    return unit_of_work
