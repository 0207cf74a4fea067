"""What every use case is given: the unit of work, the server's clock, storage and the public address."""

from __future__ import annotations

from dataclasses import dataclass

from ..adapters.storage import AttachmentStorage
from ..domain.clock import Clock
from .ports import UnitOfWorkFactory


@dataclass(frozen=True)
class SubmissionsContext:
    unit_of_work: UnitOfWorkFactory
    clock: Clock
    storage: AttachmentStorage
    public_base_url: str

    def private_link(self, entry_id: object, token: str) -> str:
        """The participant's link to their entry; the token in it is their only key."""
        return f"{self.public_base_url.rstrip('/')}/entries/{entry_id}?token={token}"
