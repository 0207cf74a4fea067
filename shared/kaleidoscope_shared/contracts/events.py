"""Every integration event Kaleidoscope's services exchange, version 1.

Changes to a published version are additive only (new optional fields); a breaking change is a new
class with `version = 2` on its own stream. `tests/shared/test_contracts.py` fails the build
when a schema changes incompatibly.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .email import Email
from .envelope import Event


class Part(BaseModel):
    """A value object nested in a payload."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# --- submissions ---------------------------------------------------------------------------------


class Nomination(Part):
    code: str
    title: str
    description: str = ""
    title_en: str = ""
    """The title in English; empty: English readers get `title`."""
    description_en: str = ""
    """The description in English; empty: English readers get `description`."""


TerritoryKind = Literal["city_district", "municipal_district"]


class Territory(Part):
    code: str
    name: str
    kind: TerritoryKind


class Organiser(Part):
    name: str
    email: Email | None = None


class Signatory(Part):
    """Someone who signs the contest's diplomas and letters: their name and position, as printed."""

    name: str
    position: str = ""


class ContestAnnounced(Event):
    """A contest was published: its nominations, territories and submission window; `full_title` and
    `signatories` are what its documents print (empty: the title, and no signature lines)."""

    event_type = "contest-announced"

    contest_id: uuid.UUID
    title: str
    description: str = ""
    organisers: list[Organiser] = []
    contact: str = ""
    nominations: list[Nomination]
    territories: list[Territory]
    submissions_open_at: datetime
    submissions_close_at: datetime
    conflict_rules: list[Literal["same_library", "same_territory"]] = ["same_library"]
    full_title: str = ""
    signatories: list[Signatory] = []
    time_zone: str = ""
    """The contest's IANA time zone (`Asia/Novokuznetsk`), in which its window is shown; empty from a
    producer older than this field."""


class ContestAmended(Event):
    """A published contest was changed by its organisers: the whole contest as it now stands (the same
    fields as ContestAnnounced), its `revision` (1 is the announcement, each amendment adds one: a
    consumer keeps the highest it has seen), and which fields changed. A moved deadline names
    `submissions_close_at` in `changed` and the deadline it replaces in `previous_submissions_close_at`;
    notifications tells the contest's participants."""

    event_type = "contest-amended"

    contest_id: uuid.UUID
    revision: int
    amended_at: datetime
    changed: list[str]
    previous_submissions_close_at: datetime | None = None
    reason: str = ""
    title: str
    description: str = ""
    organisers: list[Organiser] = []
    contact: str = ""
    nominations: list[Nomination]
    territories: list[Territory]
    submissions_open_at: datetime
    submissions_close_at: datetime
    conflict_rules: list[Literal["same_library", "same_territory"]] = ["same_library"]
    full_title: str = ""
    signatories: list[Signatory] = []
    time_zone: str = ""
    """As in ContestAnnounced."""


class Author(Part):
    full_name: str
    position: str = ""
    library: str = ""
    territory_code: str
    email: Email | None = None
    phone: str | None = None
    language: Literal["ru", "en"] = "ru"


class AttachmentInfo(Part):
    """A file the participant attached; `key` names it in submissions' storage."""

    key: str
    filename: str
    media_type: str
    size_bytes: int


class EntrySubmitted(Event):
    """An entry was submitted (revision 1)."""

    event_type = "entry-submitted"

    entry_id: uuid.UUID
    contest_id: uuid.UUID
    revision: int
    nomination_code: str
    title: str
    annotation: str = ""
    authors: list[Author]
    submitted_at: datetime
    private_link: str | None = None
    """Deprecated, never filled: the link travels sealed in `sealed_private_link`. Events written
    before links were sealed carry it in clear here."""
    links: list[str] = []
    attachments: list[AttachmentInfo] = []
    sealed_private_link: str | None = None
    """The participant's private link (its token is their only key to the entry), sealed with the
    services' link key (`kaleidoscope_shared.sealing`): only notifications opens it, to send it."""


class EntryUpdated(Event):
    """An entry was corrected by its participant; carries the whole entry at `revision`."""

    event_type = "entry-updated"

    entry_id: uuid.UUID
    contest_id: uuid.UUID
    revision: int
    nomination_code: str
    title: str
    annotation: str = ""
    authors: list[Author]
    submitted_at: datetime
    updated_at: datetime
    links: list[str] = []
    attachments: list[AttachmentInfo] = []


class EntryWithdrawn(Event):
    """An entry was withdrawn by its participant, with a reason."""

    event_type = "entry-withdrawn"

    entry_id: uuid.UUID
    contest_id: uuid.UUID
    revision: int
    reason: str = ""
    withdrawn_at: datetime


class EntryRef(Part):
    entry_id: uuid.UUID
    revision: int


class SubmissionsClosed(Event):
    """The submission window closed; `entries` is the final list that judging takes into stage 1."""

    event_type = "submissions-closed"

    contest_id: uuid.UUID
    closed_at: datetime
    closed_by: Literal["deadline", "organiser"]
    entries: list[EntryRef]


# --- judging -------------------------------------------------------------------------------------


class StageOpened(Event):
    event_type = "stage-opened"

    contest_id: uuid.UUID
    stage_id: uuid.UUID
    name: str
    kind: Literal["review", "final"]
    position: int
    deadline: datetime | None = None
    entry_ids: list[uuid.UUID]


class JurorAssigned(Event):
    event_type = "juror-assigned"

    contest_id: uuid.UUID
    stage_id: uuid.UUID
    stage_name: str
    juror_id: uuid.UUID
    juror_name: str
    juror_email: Email | None = None
    entry_ids: list[uuid.UUID]
    deadline: datetime | None = None
    language: Literal["ru", "en"] = "ru"
    personal_link: str | None = None
    """Deprecated, never filled: the link travels sealed in `sealed_personal_link`. Events written
    before links were sealed carry it in clear here."""
    sealed_personal_link: str | None = None
    """The juror's sign-in link (it signs them in), sealed with the services' link key
    (`kaleidoscope_shared.sealing`): only notifications opens it, to send it."""


class EntryResult(Part):
    entry_id: uuid.UUID
    nomination_code: str
    aggregate: Decimal | None
    rank: int | None
    advanced: bool
    reason: str


class StageClosed(Event):
    """A stage closed; every entry's aggregate, rank, and why it advanced or not."""

    event_type = "stage-closed"

    contest_id: uuid.UUID
    stage_id: uuid.UUID
    name: str
    kind: Literal["review", "final"]
    position: int
    is_last: bool
    closed_at: datetime
    results: list[EntryResult]
    audit_head_hash: str
    final_date: datetime | None = None
    final_place: str | None = None


class Prize(Part):
    kind: Literal["cash", "sponsor", "other"]
    description: str
    amount: Decimal | None = None
    currency: str | None = None


class Placement(Part):
    entry_id: uuid.UUID
    place: int
    prizes: list[Prize] = []


class SpecialMention(Part):
    entry_id: uuid.UUID
    text: str


class WinnerDeclared(Event):
    """The jury's decision in one nomination: places, prizes and special mentions."""

    event_type = "winner-declared"

    contest_id: uuid.UUID
    stage_id: uuid.UUID
    nomination_code: str
    placements: list[Placement]
    special_mentions: list[SpecialMention] = []
    declared_at: datetime


class NominationOutcome(Part):
    """One nomination's outcome, as its WinnerDeclared told it: no placements means no winner."""

    nomination_code: str
    placements: list[Placement] = []
    special_mentions: list[SpecialMention] = []


class ContestFinished(Event):
    """The final closed: the contest's participants and winners, and every nomination's outcome.

    Staged in the same transaction as the final's StageClosed and WinnerDeclared events, after them.
    `outcomes` holds one item per nomination of the contest, so whoever holds this event holds the
    complete results, whatever order the streams deliver in; `stage_id` is the final's. A producer
    older than these two fields leaves them out (None and []).
    """

    event_type = "contest-finished"

    contest_id: uuid.UUID
    finished_at: datetime
    participant_entry_ids: list[uuid.UUID]
    winner_entry_ids: list[uuid.UUID]
    stage_id: uuid.UUID | None = None
    outcomes: list[NominationOutcome] = []


class JurorReminderDue(Event):
    """A juror still has unscored entries in an open stage whose deadline is near (one per juror per stage)."""

    event_type = "juror-reminder-due"

    contest_id: uuid.UUID
    stage_id: uuid.UUID
    stage_name: str
    juror_id: uuid.UUID
    juror_name: str
    juror_email: Email | None = None
    deadline: datetime
    missing_entry_ids: list[uuid.UUID]
    language: Literal["ru", "en"] = "ru"
    personal_link: str | None = None
    """Deprecated, never filled: the link travels sealed in `sealed_personal_link`. Events written
    before links were sealed carry it in clear here."""
    sealed_personal_link: str | None = None
    """The juror's sign-in link (it signs them in), sealed with the services' link key
    (`kaleidoscope_shared.sealing`): only notifications opens it, to send it."""


class JurorLinkReissued(Event):
    """An organiser gave a juror a new personal link: the old one stopped working at once; the new one
    travels sealed (`kaleidoscope_shared.sealing`) and notifications sends it to the juror."""

    event_type = "juror-link-reissued"

    contest_id: uuid.UUID
    juror_id: uuid.UUID
    juror_name: str
    juror_email: Email | None = None
    language: Literal["ru", "en"] = "ru"
    reissued_at: datetime
    sealed_personal_link: str


# --- notifications -------------------------------------------------------------------------------


class NotificationDelivered(Event):
    event_type = "notification-delivered"

    delivery_id: uuid.UUID
    source_event_id: uuid.UUID
    recipient: str
    channel: str
    provider_id: str | None = None
    delivered_at: datetime


class NotificationFailed(Event):
    event_type = "notification-failed"

    delivery_id: uuid.UUID
    source_event_id: uuid.UUID
    recipient: str
    channel: str
    attempts: int
    error: str
    failed_at: datetime


__all__ = [
    "AttachmentInfo",
    "Author",
    "ContestAmended",
    "ContestAnnounced",
    "ContestFinished",
    "EntryRef",
    "EntryResult",
    "EntrySubmitted",
    "EntryUpdated",
    "EntryWithdrawn",
    "JurorAssigned",
    "JurorLinkReissued",
    "JurorReminderDue",
    "Nomination",
    "NominationOutcome",
    "NotificationDelivered",
    "NotificationFailed",
    "Organiser",
    "Placement",
    "Prize",
    "Signatory",
    "SpecialMention",
    "StageClosed",
    "StageOpened",
    "SubmissionsClosed",
    "Territory",
    "TerritoryKind",
    "WinnerDeclared",
]
