"""The checks an entry must pass against its contest and the contest's other entries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from .contest import AttachmentRules, Contest, ContestStatus
from .entry import Entry, EntryContent
from .errors import (
    AttachmentTooLarge,
    ConsentRequired,
    ContestStateConflict,
    DuplicateEntry,
    EntryLimitReached,
    SubmissionWindowClosed,
    SubmissionWindowNotOpen,
    UnknownNomination,
    UnknownTerritory,
    UnsupportedAttachmentType,
)
from .text import normalise_title


def check_window_open(contest: Contest, now: datetime, action: str = "accept entries") -> None:
    """SubmissionWindowNotOpen / SubmissionWindowClosed (409) unless `now` is inside the window."""
    if contest.status is ContestStatus.DRAFT:
        raise ContestStateConflict(action, contest.status.value, ContestStatus.PUBLISHED.value)
    if contest.status is not ContestStatus.PUBLISHED:
        closed_at = contest.submissions_closed_at or contest.window.closes_at
        raise SubmissionWindowClosed(closed_at.astimezone(contest.window.closes_at.tzinfo))
    if contest.window.has_closed(now):
        raise SubmissionWindowClosed(contest.window.closes_at)
    if not contest.window.has_opened(now):
        raise SubmissionWindowNotOpen(contest.window.opens_at)


def check_content(contest: Contest, content: EntryContent) -> None:
    """The nomination, every author's territory, consent and attachments against the contest."""
    if content.nomination_code not in contest.nomination_codes:
        raise UnknownNomination(content.nomination_code, contest.nomination_codes)
    for author in content.authors:
        if author.territory_code not in contest.territory_codes:
            raise UnknownTerritory(author.territory_code, contest.territory_codes)
    if contest.rules.consent_required and not content.consent_to_personal_data:
        raise ConsentRequired()
    for attachment in content.attachments:
        check_attachment(contest.rules.attachments, attachment.media_type, attachment.size_bytes)


def check_attachment(rules: AttachmentRules, media_type: str, size_bytes: int) -> None:
    """UnsupportedAttachmentType (415) or AttachmentTooLarge (413) unless the file is acceptable.

    `media_type` must be the type detected from the content, never the one the client declared.
    """
    if media_type not in rules.allowed_media_types:
        raise UnsupportedAttachmentType(media_type, rules.allowed_media_types)
    if size_bytes > rules.max_size_bytes:
        raise AttachmentTooLarge(rules.max_size_bytes)


def check_not_duplicate(content: EntryContent, others: Iterable[Entry]) -> None:
    """DuplicateEntry (409), carrying the first entry's id, if the same author already sent this title.

    `others` are the contest's other entries; withdrawn ones don't count.
    """
    title = normalise_title(content.title)
    keys = content.author_keys()
    repeats = [
        other
        for other in _live(others)
        if normalise_title(other.content.title) == title and keys & other.content.author_keys()
    ]
    if repeats:
        first = min(repeats, key=lambda e: (e.submitted_at, str(e.id)))
        raise DuplicateEntry(first.id)


def check_author_limit(contest: Contest, content: EntryContent, others: Iterable[Entry]) -> None:
    """EntryLimitReached (409) if an author already has the most entries allowed in this nomination."""
    limit = contest.rules.max_entries_per_author_per_nomination
    same_nomination = [e for e in _live(others) if e.content.nomination_code == content.nomination_code]
    for author in content.authors:
        keys = author.identity_keys()
        count = sum(1 for e in same_nomination if keys & e.content.author_keys())
        if count >= limit:
            raise EntryLimitReached(author.full_name, content.nomination_code, limit)


def others_than(entries: Iterable[Entry], entry_id: uuid.UUID | None) -> list[Entry]:
    return [e for e in entries if e.id != entry_id]


def _live(entries: Iterable[Entry]) -> list[Entry]:
    return [e for e in entries if not e.is_withdrawn]
