"""Closing submissions: when it is due, and which entries (at which revision) go on to judging."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .clock import Clock, now_utc
from .contest import Contest, ContestStatus
from .entry import Entry
from .errors import ContestStateConflict, DeadlineNotReached

ClosedBy = Literal["deadline", "organiser"]


@dataclass(frozen=True, slots=True)
class FinalEntry:
    entry_id: uuid.UUID
    revision: int


@dataclass(frozen=True, slots=True)
class SubmissionsClosure:
    """What closing the window decided: the data of the SubmissionsClosed event."""

    contest_id: uuid.UUID
    closed_at: datetime
    closed_by: ClosedBy
    entries: tuple[FinalEntry, ...]


def submissions_should_close(contest: Contest, now: datetime) -> bool:
    """True when a published contest's deadline has come (at exactly `closes_at` it has)."""
    return contest.status is ContestStatus.PUBLISHED and contest.window.has_closed(now)


def final_entries(contest: Contest, entries: Iterable[Entry]) -> tuple[FinalEntry, ...]:
    """The contest's entries that were not withdrawn, at their latest revision, oldest first."""
    live = [e for e in entries if e.contest_id == contest.id and not e.is_withdrawn]
    live.sort(key=lambda e: (e.submitted_at, str(e.id)))
    return tuple(FinalEntry(entry_id=e.id, revision=e.revision) for e in live)


def close_submissions(
    contest: Contest, entries: Iterable[Entry], *, clock: Clock, closed_by: ClosedBy = "deadline"
) -> tuple[Contest, SubmissionsClosure]:
    """Close a published contest's submissions and fix the list of entries judging will receive.

    By the deadline this is allowed from `closes_at` on; an organiser may close early. Closing twice
    is a ContestStateConflict (409), so a scheduler racing an organiser can't close it twice.
    """
    if contest.status is not ContestStatus.PUBLISHED:
        raise ContestStateConflict("close submissions", contest.status.value, ContestStatus.PUBLISHED.value)
    now = now_utc(clock)
    if closed_by == "deadline" and not contest.window.has_closed(now):
        raise DeadlineNotReached(contest.window.closes_at)
    closure = SubmissionsClosure(
        contest_id=contest.id, closed_at=now, closed_by=closed_by, entries=final_entries(contest, entries)
    )
    closed = contest.model_copy(
        update={"status": ContestStatus.SUBMISSIONS_CLOSED, "submissions_closed_at": now}
    )
    return closed, closure
