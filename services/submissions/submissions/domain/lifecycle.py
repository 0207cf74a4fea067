"""A contest's life: draft → published → submissions closed → results, each step taken once."""

from __future__ import annotations

from .clock import Clock, now_utc
from .contest import Contest, ContestStatus
from .errors import ContestStateConflict, DeadlineInThePast


def publish_contest(contest: Contest, *, clock: Clock) -> Contest:
    """Publish a draft: from now on participants can see it and, inside its window, submit entries.

    A contest is published once; publishing one whose window has already closed is refused.
    """
    _require(contest, ContestStatus.DRAFT, "publish the contest")
    now = now_utc(clock)
    if contest.window.has_closed(now):
        raise DeadlineInThePast(contest.window.closes_at)
    return contest.model_copy(update={"status": ContestStatus.PUBLISHED, "published_at": now})


def announce_results(contest: Contest) -> Contest:
    """Mark the contest as having results; only after its submissions closed."""
    _require(contest, ContestStatus.SUBMISSIONS_CLOSED, "announce results")
    return contest.model_copy(update={"status": ContestStatus.RESULTS})


def _require(contest: Contest, needed: ContestStatus, action: str) -> None:
    if contest.status is not needed:
        raise ContestStateConflict(action, contest.status.value, needed.value)
