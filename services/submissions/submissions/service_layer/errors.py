"""Errors the use cases add to the domain's: things only storage or the protocol can know."""

from __future__ import annotations

import uuid

from ..domain.errors import SubmissionsError


class ContestNotFound(SubmissionsError):
    status = 404
    title = "Contest not found"

    def __init__(self, contest_id: uuid.UUID) -> None:
        super().__init__(f"no contest has the id {contest_id}; check the address", contest_id=str(contest_id))


class ContestChangedMeanwhile(SubmissionsError):
    status = 409
    title = "The contest was changed meanwhile"

    def __init__(self, contest_id: uuid.UUID) -> None:
        super().__init__(
            f"contest {contest_id} was changed by another request at the same time; reload it and try again",
            contest_id=str(contest_id),
        )


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


def _mib(size: int) -> str:
    return f"{size / 1_048_576:.1f} MiB"


class TooManyUploads(SubmissionsError):
    """Uploads from one address come faster than the rate allows; Retry-After says when to go on."""

    status = 429
    title = "Too many uploads"

    def __init__(self, limit: int, window_s: int, retry_after_s: int) -> None:
        super().__init__(
            f"at most {limit} files may be uploaded from one address every {window_s} seconds; "
            f"wait {retry_after_s} seconds and upload the file again",
            limit=limit,
            window_s=window_s,
            retry_after_s=retry_after_s,
        )
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class PendingUploadsQuotaReached(SubmissionsError):
    """One address holds as many files as it may in the contest that no entry lists yet."""

    status = 429
    title = "Too many files waiting for an entry"

    def __init__(self, max_files: int, max_bytes: int, grace_period_h: float) -> None:
        super().__init__(
            f"files uploaded from one address to this contest and not yet listed in a submitted entry "
            f"may be at most {max_files} and {_mib(max_bytes)} together; submit the entry that lists "
            f"the files already uploaded, then upload more (files no entry lists are deleted after "
            f"{grace_period_h:g} hours)",
            max_files=max_files,
            max_bytes=max_bytes,
        )


class ContestUploadsFull(SubmissionsError):
    """The contest holds, from everyone together, as many files no entry lists as it may."""

    status = 409
    title = "The contest cannot take more files now"

    def __init__(self, grace_period_h: float) -> None:
        super().__init__(
            "this contest holds too many uploaded files that are not yet part of a submitted entry; "
            f"try again later (files no entry lists are deleted after {grace_period_h:g} hours), "
            "or contact the organisers"
        )


class AttachmentClaimedMeanwhile(Exception):
    """A file an entry lists was claimed by another entry, or deleted, by a concurrent transaction
    between reading it and claiming it: the transaction is run again and then sees why."""
