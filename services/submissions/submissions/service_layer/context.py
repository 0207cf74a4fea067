"""What every use case is given: the unit of work, the server's clock, storage, the public address and
the key that signs grants between services."""

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
    """The web front's address (where people open their entries), not this API's."""
    grant_key: str
    """Signs and checks grants (`kaleidoscope_shared.grants`); the same secret in every service."""

    def private_link(self, entry_id: object, token: str) -> str:
        """The participant's link to their entry, a page of the web front; the token in it is their
        only key (the page calls `GET /entries/{id}` with it)."""
        return f"{self.public_base_url.rstrip('/')}/entries/{entry_id}?token={token}"
