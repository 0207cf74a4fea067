"""Errors the use cases add to the domain's: things only storage or the protocol can know."""

from __future__ import annotations

import uuid

from ..domain.errors import SubmissionsError


class ContestNotFound(SubmissionsError):
    status = 404
    title = "Contest not found"

    def __init__(self, contest_id: uuid.UUID) -> None:
        super().__init__(f"no contest has the id {contest_id}; check the address", contest_id=str(contest_id))


class UnknownAttachment(SubmissionsError):
    title = "Unknown attachment"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"attachment {key!r} was not uploaded to this contest; upload the file first "
            "(POST /contests/{contest_id}/attachments) and use the key it returns",
            key=key,
        )


class EntryChangedMeanwhile(SubmissionsError):
    status = 409
    title = "The entry was changed meanwhile"

    def __init__(self, entry_id: uuid.UUID) -> None:
        super().__init__(
            f"entry {entry_id} was changed by another request at the same time; reload it and try again",
            entry_id=str(entry_id),
        )


class IdempotencyKeyReused(SubmissionsError):
    title = "The Idempotency-Key was used for another request"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used with a different request body; "
            "use a new key for a new submission",
            idempotency_key=key,
        )


class ResultsNotAnnounced(SubmissionsError):
    status = 409
    title = "Results have not been announced"

    def __init__(self) -> None:
        super().__init__("the public list of entries is shown once the contest's results are announced")
