"""The participant's use of an entry: submit it, edit it, withdraw it, reach it by its private token.

Each function takes the state it needs and returns the new state; nothing here stores anything. The
caller persists the returned `Entry` and the matching integration event in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .clock import Clock, now_utc
from .contest import Contest
from .entry import Entry, EntryContent, EntryStatus
from .errors import EntryAlreadyWithdrawn, EntryNotFound, WithdrawalReasonRequired
from .rules import check_author_limit, check_content, check_not_duplicate, check_window_open, others_than
from .tokens import EntryToken, new_entry_token, token_matches


@dataclass(frozen=True, slots=True)
class SubmittedEntry:
    """A new entry and its private token; the token's plaintext is shown to the participant once."""

    entry: Entry
    token: EntryToken


def submit_entry(
    contest: Contest,
    content: EntryContent,
    *,
    existing: Iterable[Entry],
    clock: Clock,
    entry_id: uuid.UUID | None = None,
) -> SubmittedEntry:
    """Accept a new entry as revision 1.

    `existing` must hold at least the contest's entries that share an author with `content`
    (look them up by `content.author_keys()`); the duplicate and per-author limits are checked on it.
    Raises 409 outside the window, for a duplicate or over the limit; 422 for an unknown nomination
    or territory, or missing consent; 413/415 for an attachment the rules don't allow.
    """
    now = now_utc(clock)
    check_window_open(contest, now, "submit an entry")
    check_content(contest, content)
    others = list(existing)
    check_not_duplicate(content, others)
    check_author_limit(contest, content, others)
    token = new_entry_token()
    entry = Entry(
        id=entry_id or uuid.uuid4(),
        contest_id=contest.id,
        revision=1,
        content=content,
        submitted_at=now,
        updated_at=now,
        token_sha256=token.sha256,
    )
    return SubmittedEntry(entry=entry, token=token)


def edit_entry(
    contest: Contest, entry: Entry, content: EntryContent, *, existing: Iterable[Entry], clock: Clock
) -> Entry:
    """Replace the entry's content, as the next revision; only before the deadline and if not withdrawn."""
    now = now_utc(clock)
    _check_changeable(contest, entry, now, "edit an entry")
    check_content(contest, content)
    others = others_than(existing, entry.id)
    check_not_duplicate(content, others)
    check_author_limit(contest, content, others)
    return entry.model_copy(update={"content": content, "revision": entry.revision + 1, "updated_at": now})


def withdraw_entry(contest: Contest, entry: Entry, reason: str, *, clock: Clock) -> Entry:
    """Withdraw the entry, with a reason, as the next revision; only before the deadline."""
    if not reason.strip():
        raise WithdrawalReasonRequired()
    now = now_utc(clock)
    _check_changeable(contest, entry, now, "withdraw an entry")
    return entry.model_copy(
        update={
            "status": EntryStatus.WITHDRAWN,
            "revision": entry.revision + 1,
            "updated_at": now,
            "withdrawn_at": now,
            "withdrawal_reason": reason.strip(),
        }
    )


def verify_entry_token(entry: Entry | None, token: str) -> Entry:
    """The entry if `token` is its private token; EntryNotFound (404) otherwise, or if there is no entry."""
    if entry is None or not token_matches(token, entry.token_sha256):
        raise EntryNotFound()
    return entry


def _check_changeable(contest: Contest, entry: Entry, now: datetime, action: str) -> None:
    if entry.contest_id != contest.id:
        raise EntryNotFound()
    if entry.is_withdrawn:
        raise EntryAlreadyWithdrawn(entry.id)
    check_window_open(contest, now, action)
