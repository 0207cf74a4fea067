"""Every integration event Kaleidoscope's services exchange, version 1.

Changes to a published version are additive only (new optional fields); a breaking change is a new
class with `version = 2` on its own stream. `tests/shared/test_contract_snapshots.py` fails the build
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


TerritoryKind = Literal["city_district", "municipal_district"]


class Territory(Part):
    code: str
    name: str
    kind: TerritoryKind


class Organiser(Part):
    name: str
    email: Email | None = None


class ContestAnnounced(Event):
    """A contest was published: its nominations, territories and submission window."""

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
    links: list[str] = []
    attachments: list[AttachmentInfo] = []


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


class ContestFinished(Event):
    event_type = "contest-finished"

    contest_id: uuid.UUID
    finished_at: datetime
    participant_entry_ids: list[uuid.UUID]
    winner_entry_ids: list[uuid.UUID]


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
    "ContestAnnounced",
    "ContestFinished",
    "EntryRef",
    "EntryResult",
    "EntrySubmitted",
    "EntryUpdated",
    "EntryWithdrawn",
    "JurorAssigned",
    "JurorReminderDue",
    "Nomination",
    "NotificationDelivered",
    "NotificationFailed",
    "Organiser",
    "Placement",
    "Prize",
    "SpecialMention",
    "StageClosed",
    "StageOpened",
    "SubmissionsClosed",
    "Territory",
    "TerritoryKind",
    "WinnerDeclared",
]
