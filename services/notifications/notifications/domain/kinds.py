"""The kinds of notification the service sends; each has one template per language."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Language = Literal["ru", "en"]
LANGUAGES: tuple[Language, ...] = ("ru", "en")
DEFAULT_LANGUAGE: Language = "ru"


class NotificationKind(StrEnum):
    ENTRY_RECEIVED = "entry_received"
    ENTRY_UPDATED = "entry_updated"
    ENTRY_WITHDRAWN = "entry_withdrawn"
    SUBMISSIONS_CLOSED = "submissions_closed"
    JUROR_ASSIGNED = "juror_assigned"
    JUROR_REMINDER = "juror_reminder"
    FINAL_INVITATION = "final_invitation"
    NON_FINALIST_THANKS = "non_finalist_thanks"
    WINNER_CONGRATULATIONS = "winner_congratulations"
    CONTEST_FINISHED_PARTICIPANT = "contest_finished_participant"
    CONTEST_FINISHED_ORGANISER = "contest_finished_organiser"
    SPECIAL_MENTION = "special_mention"
    DEADLINE_CHANGED = "deadline_changed"
    JUROR_LINK_REISSUED = "juror_link_reissued"


class DocumentKind(StrEnum):
    THANK_YOU_LETTER = "thank_you_letter"
    PARTICIPANT_DIPLOMA = "participant_diploma"
    FINALIST_DIPLOMA = "finalist_diploma"
    WINNER_DIPLOMA = "winner_diploma"
    SPECIAL_MENTION_DIPLOMA = "special_mention_diploma"


def kind_named(name: str) -> NotificationKind | None:
    """The kind called `name`, spelt as stored (`deadline_changed`) or as in URLs and the organiser's
    console (`deadline-changed`); None for no kind."""
    value = name.strip().replace("-", "_")
    return NotificationKind(value) if value in NotificationKind._value2member_map_ else None


def language_or_default(value: str | None) -> Language:
    return "en" if value == "en" else DEFAULT_LANGUAGE
