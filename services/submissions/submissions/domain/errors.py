"""What can go wrong for a user of the submissions service, each with an HTTP status hint.

Every exception's message says what was wrong and what to do about it; the HTTP layer maps an
exception to an RFC 9457 problem: `status` from the class, `title` from `title`, `detail` from the
message, and the extra members from `extensions()` (e.g. the allowed codes, the deadline). Nothing of
another person's entry goes into a problem: a duplicate's answer says which rule refused it, not which
entry it repeats.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar


class SubmissionsError(Exception):
    """Base of every rule the submissions domain enforces."""

    status: ClassVar[int] = 422
    title: ClassVar[str] = "The request breaks a submissions rule"
    problem_type: ClassVar[str] = "about:blank"
    """The problem's `type`: a URI of its own where a client must tell this refusal from a like one."""

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self._extensions = extensions

    def extensions(self) -> dict[str, Any]:
        """Machine-readable members for the problem document (JSON-serialisable values)."""
        return dict(self._extensions)

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the problem (e.g. Retry-After)."""
        return {}


def _codes(codes: Iterable[str]) -> str:
    return ", ".join(sorted(codes))


# --- 422: the request itself is wrong -------------------------------------------------------------


class NaiveDatetimeError(SubmissionsError, ValueError):
    """A date-time without a time zone; the contest's clock can't compare it with a deadline."""

    title = "Date-time without a time zone"

    def __init__(self, what: str, value: datetime) -> None:
        super().__init__(
            f"{what} {value.isoformat()} has no time zone; give it with an offset, "
            f"e.g. {value.replace(microsecond=0).isoformat()}+07:00",
            field=what,
        )


class UnknownNomination(SubmissionsError):
    title = "Unknown nomination"

    def __init__(self, code: str, allowed: Iterable[str]) -> None:
        allowed = sorted(allowed)
        super().__init__(
            f"nomination {code!r} is not one of this contest's nominations; choose one of: {_codes(allowed)}",
            nomination_code=code,
            allowed_codes=allowed,
        )


class UnknownTerritory(SubmissionsError):
    title = "Unknown territory"

    def __init__(self, code: str, allowed: Iterable[str]) -> None:
        allowed = sorted(allowed)
        super().__init__(
            f"territory {code!r} is not one of this contest's territories; choose one of: {_codes(allowed)}",
            territory_code=code,
            allowed_codes=allowed,
        )


class ConsentRequired(SubmissionsError):
    title = "Consent to personal-data processing is required"

    def __init__(self) -> None:
        super().__init__(
            "this contest requires consent to the processing of personal data; "
            "tick the consent box (consent_to_personal_data: true) and submit again"
        )


class WithdrawalReasonRequired(SubmissionsError):
    title = "A reason for the withdrawal is required"

    def __init__(self) -> None:
        super().__init__("say why the entry is withdrawn: the reason must not be blank")


class DeadlineInThePast(SubmissionsError):
    title = "The submission window has already closed"

    def __init__(self, closes_at: datetime) -> None:
        super().__init__(
            f"the submission window closes at {closes_at.isoformat()}, which is already past; "
            "move the closing time into the future before publishing",
            closes_at=closes_at.isoformat(),
        )


class DeadlineNotAhead(SubmissionsError):
    """A new deadline that is already past, or not after the window opens."""

    title = "The new deadline is not valid"

    def __init__(
        self, closes_at: datetime, *, now: datetime, opens_at: datetime, location: list[str]
    ) -> None:
        if closes_at.astimezone(UTC) <= opens_at.astimezone(UTC):
            message = (
                f"the deadline {closes_at.isoformat()} is not after the window opens "
                f"({opens_at.isoformat()}); choose a later one"
            )
        else:
            message = f"the deadline {closes_at.isoformat()} is already past; choose a moment in the future"
        super().__init__(
            message,
            field=location[-1],
            errors=[{"location": location, "message": message, "type": "deadline_not_ahead"}],
            now=now.isoformat(),
        )


# --- 409: the request conflicts with the state of the contest or entry --------------------------


class SubmissionWindowNotOpen(SubmissionsError):
    status = 409
    title = "Submissions are not open yet"

    def __init__(self, opens_at: datetime) -> None:
        super().__init__(
            f"submissions open at {opens_at.isoformat()}; come back then",
            opens_at=opens_at.isoformat(),
        )


PROBLEM_TYPES = "urn:kaleidoscope:problem:"


class SubmissionWindowClosed(SubmissionsError):
    status = 409
    title = "The submission deadline has passed"
    problem_type = PROBLEM_TYPES + "deadline-passed"

    def __init__(self, closes_at: datetime) -> None:
        super().__init__(
            f"the deadline was {closes_at.isoformat()}; entries can no longer be submitted, "
            "edited or withdrawn — contact the organisers",
            closes_at=closes_at.isoformat(),
        )


class SubmissionsClosedByOrganisers(SubmissionsError):
    """The organisers closed submissions before the deadline: not the same as a deadline that passed."""

    status = 409
    title = "Submissions were closed by the organisers"
    problem_type = PROBLEM_TYPES + "submissions-closed"

    def __init__(self, closed_at: datetime) -> None:
        super().__init__(
            f"submissions were closed by the organisers on {closed_at.isoformat()}, before the deadline; "
            "entries can no longer be submitted, edited or withdrawn — contact the organisers",
            closed_at=closed_at.isoformat(),
        )


class ContestChangeBlocked(SubmissionsError):
    """A change would take away a nomination or territory that entries are in."""

    status = 409
    title = "Entries are in what the change would remove"

    def __init__(self, blocking: list[dict[str, Any]]) -> None:
        named = "; ".join(
            f"{'nomination' if 'nomination_code' in b else 'territory'} "
            f"{b.get('nomination_code') or b.get('territory_code')!r} has {b['entries']} "
            f"entr{'y' if b['entries'] == 1 else 'ies'}"
            for b in blocking
        )
        super().__init__(
            f"cannot remove or change the code of a nomination or territory (or a territory's kind) that "
            f"entries are in: {named}; keep their codes (titles, names and descriptions may change), or "
            "change them before entries arrive",
            blocking=blocking,
        )


class DuplicateEntry(SubmissionsError):
    status = 409
    title = "The same entry was already submitted"

    def __init__(self, existing_entry_id: uuid.UUID) -> None:
        super().__init__(
            "an entry with this title by the same author is already in this contest; edit that entry "
            "with its private link instead of submitting it again (if the link is lost, ask the organisers)"
        )
        self.existing_entry_id = existing_entry_id
        """The earliest entry this one repeats: for the service and the logs, never in the answer, which
        an anonymous caller gets (it would tell them that this author took part, and under which id)."""


class EntryLimitReached(SubmissionsError):
    status = 409
    title = "Too many entries by one author in this nomination"

    def __init__(self, author: str, nomination_code: str, limit: int) -> None:
        super().__init__(
            f"{author} already has {limit} entr{'y' if limit == 1 else 'ies'} in nomination "
            f"{nomination_code!r}, the most this contest allows; withdraw one or choose another nomination",
            author=author,
            nomination_code=nomination_code,
            limit=limit,
        )


class EntryAlreadyWithdrawn(SubmissionsError):
    status = 409
    title = "The entry was withdrawn"

    def __init__(self, entry_id: uuid.UUID) -> None:
        super().__init__(
            f"entry {entry_id} was withdrawn and can no longer be changed; submit a new entry instead",
            entry_id=str(entry_id),
        )


class ContestStateConflict(SubmissionsError):
    status = 409
    title = "The contest is not in the right state"

    def __init__(self, action: str, state: str, needed: str) -> None:
        super().__init__(
            f"cannot {action}: the contest is {state}, and this needs it to be {needed}",
            state=state,
            needed=needed,
        )


class DeadlineNotReached(SubmissionsError):
    status = 409
    title = "The deadline has not been reached"

    def __init__(self, closes_at: datetime) -> None:
        super().__init__(
            f"submissions close at {closes_at.isoformat()}; close them then, or close them early "
            "as an organiser (closed_by='organiser')",
            closes_at=closes_at.isoformat(),
        )


# --- 404, 413, 415: entries and attachments -------------------------------------------------------


class EntryNotFound(SubmissionsError):
    """Also raised for a wrong private token, so that a guess can't tell an entry exists."""

    status = 404
    title = "Entry not found"

    def __init__(self) -> None:
        super().__init__("no entry matches this link; check that the private link was copied in full")


class AttachmentNotFound(SubmissionsError):
    status = 404
    title = "Attachment not found"

    def __init__(self, key: str) -> None:
        super().__init__(f"no stored attachment has the key {key!r}", key=key)


class AttachmentTooLarge(SubmissionsError):
    status = 413
    title = "The file is too large"

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            f"the file is larger than {max_bytes} bytes ({max_bytes / 1_048_576:.1f} MiB), "
            "the most this contest accepts; compress it or upload a link instead",
            max_bytes=max_bytes,
        )


class UnsupportedAttachmentType(SubmissionsError):
    status = 415
    title = "This kind of file is not accepted"

    def __init__(self, detected: str, allowed: Iterable[str], declared: str | None = None) -> None:
        allowed = sorted(allowed)
        claimed = f" (it was declared as {declared})" if declared and declared != detected else ""
        super().__init__(
            f"the file's content is {detected}{claimed}; this contest accepts only: "
            f"{_codes(allowed)} — save the file in one of those formats and upload it again",
            detected_type=detected,
            declared_type=declared,
            allowed_types=allowed,
        )
