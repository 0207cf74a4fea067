"""What the notifications service knows about a contest, built from events, and what planning yields.

These are the service's own copies (read models) of other services' data: the service layer keeps them
up to date from the bus (`service_layer/copies.py`) and hands them to `plan_notifications`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .kinds import DocumentKind, Language, NotificationKind


@dataclass(frozen=True, slots=True)
class Person:
    """A recipient. `key` is their stable identity (the lower-cased e-mail for participants)."""

    key: str
    name: str
    email: str | None = None
    language: Language = "ru"
    position: str = ""
    library: str = ""
    territory_code: str = ""


@dataclass(frozen=True, slots=True)
class Preferences:
    """How a person wants to hear from us. `addresses` holds channel-specific addresses (a chat id,
    a webhook URL); a channel without one is addressed by e-mail."""

    channels: tuple[str, ...] = ("email",)
    language: Language | None = None
    addresses: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntryView:
    entry_id: uuid.UUID
    title: str
    nomination_code: str
    authors: tuple[Person, ...]
    private_link: str | None = None
    """The participant's private link, sealed (`kaleidoscope_shared.sealing`): never in clear here."""
    revision: int = 1
    finalist: bool = False
    place: int | None = None
    special_mention: str = ""
    """The jury's words when it singled the entry out (WinnerDeclared's `special_mentions`)."""


@dataclass(frozen=True, slots=True)
class ContestView:
    contest_id: uuid.UUID
    title: str
    nominations: Mapping[str, str]
    organisers: tuple[Person, ...] = ()
    entries: Mapping[uuid.UUID, EntryView] = field(default_factory=dict)
    contact: str = ""
    final_date: datetime | None = None
    final_place: str | None = None
    full_title: str = ""
    """The contest's full name, as its documents print it ("" when it is the title)."""
    signatories: tuple[tuple[str, str], ...] = ()
    """(name, position) of each person who signs its documents."""

    def nomination_title(self, code: str) -> str:
        return self.nominations.get(code, code)


@dataclass(frozen=True, slots=True)
class JurorReminderDue:
    """The planner's reminder, built from judging's JurorReminderDue (`entrypoints/bus.reminder_from`)
    when a juror's deadline approaches. `reminder_id` plays the part of the event id (one reminder, one
    message per channel)."""

    reminder_id: uuid.UUID
    juror_id: uuid.UUID
    juror_name: str
    juror_email: str | None
    stage_name: str
    deadline: datetime
    pending_entry_ids: tuple[uuid.UUID, ...]
    language: Language = "ru"
    personal_link: str | None = None
    """The juror's sign-in link to the web front, sealed, when judging gave one."""


@dataclass(frozen=True, slots=True)
class DocumentRequest:
    """A PDF to render and attach: which document, for whom, about which entry."""

    kind: DocumentKind
    entry_id: uuid.UUID
    person_key: str


@dataclass(frozen=True, slots=True)
class Addressee:
    """Someone who should hear about an event, before preferences pick languages and channels."""

    kind: NotificationKind
    person: Person
    context: Mapping[str, Any]
    documents: tuple[DocumentRequest, ...] = ()


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """One message to render and send: the delivery id is its idempotency key."""

    delivery_id: uuid.UUID
    source_event_id: uuid.UUID
    kind: NotificationKind
    person: Person
    language: Language
    channel: str
    address: str
    context: Mapping[str, Any]
    documents: tuple[DocumentRequest, ...] = ()


@dataclass(frozen=True, slots=True)
class SkippedRecipient:
    person: Person
    channel: str
    reason: str


@dataclass(slots=True)
class Plan:
    messages: list[PlannedMessage] = field(default_factory=list)
    skipped: list[SkippedRecipient] = field(default_factory=list)
