"""Which payload class reads which (type, version), and turning a raw envelope into a typed event."""

from __future__ import annotations

from .envelope import Envelope, Event
from .events import (
    ContestAmended,
    ContestAnnounced,
    ContestFinished,
    EntrySubmitted,
    EntryUpdated,
    EntryWithdrawn,
    JurorAssigned,
    JurorLinkReissued,
    JurorReminderDue,
    NotificationDelivered,
    NotificationFailed,
    StageClosed,
    StageOpened,
    SubmissionsClosed,
    WinnerDeclared,
)

ALL_EVENTS: tuple[type[Event], ...] = (
    ContestAnnounced,
    ContestAmended,
    EntrySubmitted,
    EntryUpdated,
    EntryWithdrawn,
    SubmissionsClosed,
    StageOpened,
    JurorAssigned,
    StageClosed,
    WinnerDeclared,
    ContestFinished,
    JurorReminderDue,
    JurorLinkReissued,
    NotificationDelivered,
    NotificationFailed,
)

_BY_KEY: dict[tuple[str, int], type[Event]] = {(e.event_type, e.version): e for e in ALL_EVENTS}


class UnknownEvent(LookupError):
    """No contract is known for an envelope's (type, version)."""


def event_class(event_type: str, version: int) -> type[Event]:
    try:
        return _BY_KEY[(event_type, version)]
    except KeyError:
        raise UnknownEvent(f"no contract for event {event_type!r} version {version}") from None


def parse_payload(envelope: Envelope) -> Event:
    """The envelope's payload as its typed event; raises UnknownEvent or pydantic.ValidationError."""
    return event_class(envelope.type, envelope.version).model_validate(envelope.payload)
