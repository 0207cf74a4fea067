"""The checks an entry must pass against its contest and the contest's other entries."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from .contest import AttachmentRules, Contest, ContestStatus
from .entry import Entry, EntryContent
from .errors import (
    AttachmentTooLarge,
    ConsentRequired,
    ContestStateConflict,
    DuplicateEntry,
    EntryLimitReached,
    SubmissionsClosedByOrganisers,
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
        closed_at = closed_at.astimezone(contest.window.closes_at.tzinfo)
        if not contest.window.has_closed(closed_at):
            raise SubmissionsClosedByOrganisers(closed_at)
        raise SubmissionWindowClosed(closed_at)
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
    """DuplicateEntry (409) if the same author already sent this title (its `existing_entry_id`, the
    first such entry, is kept out of the answer).

    `others` are the contest's other entries; withdrawn ones don't count. An author is the same when
    their identity key is (`Author.identity_key`: the e-mail, or without one the name and library);
    the title is compared folded (`normalise_title`), in any nomination of the contest.
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
    """EntryLimitReached (409) if an author already has the most entries allowed in this nomination.

    Authors are counted by their identity key; withdrawn entries don't count."""
    limit = contest.rules.max_entries_per_author_per_nomination
    same_nomination = [e for e in _live(others) if e.content.nomination_code == content.nomination_code]
    for author in content.authors:
        key = author.identity_key()
        count = sum(1 for e in same_nomination if key in e.content.author_keys())
        if count >= limit:
            raise EntryLimitReached(author.full_name, content.nomination_code, limit)


def choose_slots(
    contest: Contest, content: EntryContent, taken: Mapping[str, Collection[int]]
) -> dict[str, int]:
    """For each author's identity key, the lowest of the slots 1..limit in the entry's nomination that
    no live entry holds (`taken`: the slots held, by key). Storage keeps a slot unique per contest,
    nomination and author, so two entries racing for an author's last place cannot both be stored.

    EntryLimitReached (409) if an author has no free slot left.
    """
    limit = contest.rules.max_entries_per_author_per_nomination
    slots: dict[str, int] = {}
    for author in content.authors:
        key = author.identity_key()
        if key in slots:
            continue
        held = set(taken.get(key, ()))
        free = next((slot for slot in range(1, limit + 1) if slot not in held), None)
        if free is None:
            raise EntryLimitReached(author.full_name, content.nomination_code, limit)
        slots[key] = free
    return slots


def others_than(entries: Iterable[Entry], entry_id: uuid.UUID | None) -> list[Entry]:
    return [e for e in entries if e.id != entry_id]


def _live(entries: Iterable[Entry]) -> list[Entry]:
    return [e for e in entries if not e.is_withdrawn]
