"""What every use case is given: the unit of work, the server's clock, storage, the public address and
the key that signs grants between services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from ..adapters.storage import AttachmentStorage
from ..domain.clock import Clock
from ..domain.contest import DEFAULT_TIME_ZONE
from .ports import UnitOfWorkFactory, UploadRate


@dataclass(frozen=True)
class UploadLimits:
    """What files no entry lists yet ("pending") may hold, and how long they are kept."""

    files_per_client: int = 20
    bytes_per_client: int = 200 * 1024 * 1024
    files_per_contest: int = 2000
    bytes_per_contest: int = 10 * 1024 * 1024 * 1024
    grace_period: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class SubmissionsContext:
    unit_of_work: UnitOfWorkFactory
    clock: Clock
    storage: AttachmentStorage
    public_base_url: str
    """The web front's address (where people open their entries), not this API's."""
    grant_key: str
    """Signs and checks grants (`kaleidoscope_shared.grants`); the same secret in every service."""
    uploads: UploadLimits = field(default_factory=UploadLimits)
    upload_rate: UploadRate | None = None
    """Counts each client's uploads (shared by the API's replicas); None: no rate limit."""
    default_time_zone: str = DEFAULT_TIME_ZONE
    """The time zone of a contest created without one (an IANA name)."""

    def private_link(self, entry_id: object, token: str) -> str:
        """The participant's link to their entry, a page of the web front; the token in it is their
        only key (the page calls `GET /entries/{id}` with it)."""
        return f"{self.public_base_url.rstrip('/')}/entries/{entry_id}?token={token}"
