"""What the use cases need from the outside world: a unit of work over the repository and the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from kaleidoscope_shared.contracts import Event

from ..adapters.repository import SqlRepository


class UnitOfWork(Protocol):
    """One transaction: the repository's changes and the events emitted commit together, or neither."""

    repository: SqlRepository

    async def emit(self, event: Event, *, contest_id: uuid.UUID) -> None:
        """Stage `event` in the outbox, in this transaction."""
        ...


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
