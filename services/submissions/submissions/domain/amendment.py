"""Changing a contest after it was created: any field of a draft; of a published contest, anything but
what entries already stand on (the codes of their nominations and territories), each change counted
as the contest's next revision; and moving the deadline while submissions are open."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .clock import Clock, now_utc
from .contest import Contest, ContestStatus, SubmissionWindow
from .errors import ContestChangeBlocked, ContestStateConflict, DeadlineNotAhead

AMENDABLE_FIELDS = (
    "title",
    "description",
    "organisers",
    "contact",
    "nominations",
    "territories",
    "window",
    "rules",
    "time_zone",
)
"""What a change may touch: the fields of POST /contests. Status, dates and ids follow the contest's life."""


@dataclass(frozen=True, slots=True)
class Amendment:
    """A contest as changed, what changed (ContestAmended's field names) and whether it is a new
    revision that the other services must hear of (a published contest's), with the deadline it
    replaced when the deadline moved."""

    contest: Contest
    changed: tuple[str, ...]
    announce: bool
    previous_submissions_close_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class EntriesInUse:
    """How many live (not withdrawn) entries stand on each nomination and territory code."""

    by_nomination: Mapping[str, int]
    by_territory: Mapping[str, int]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge member by member (a null removes one), anything else
    (lists included) replaces the value."""
    if not isinstance(patch, Mapping):
        return patch
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def changed_fields(before: Contest, after: Contest) -> tuple[str, ...]:
    """The names (as ContestAnnounced and ContestAmended spell them) of what differs between two states."""
    pairs: dict[str, tuple[Any, Any]] = {
        "title": (before.title, after.title),
        "description": (before.description, after.description),
        "organisers": (before.organisers, after.organisers),
        "contact": (before.contact, after.contact),
        "nominations": (before.nominations, after.nominations),
        "territories": (before.territories, after.territories),
        "submissions_open_at": (_utc(before.window.opens_at), _utc(after.window.opens_at)),
        "submissions_close_at": (_utc(before.window.closes_at), _utc(after.window.closes_at)),
        "full_title": (before.rules.documents.full_title, after.rules.documents.full_title),
        "signatories": (before.rules.documents.signatories, after.rules.documents.signatories),
        "conflict_rules": (before.rules.conflict_rules, after.rules.conflict_rules),
        "rules": (
            before.rules.model_copy(update={"documents": None, "conflict_rules": None}),
            after.rules.model_copy(update={"documents": None, "conflict_rules": None}),
        ),
        "time_zone": (before.time_zone, after.time_zone),
    }
    return tuple(name for name, (old, new) in pairs.items() if old != new)


def amend_contest(
    contest: Contest, changes: Mapping[str, Any], *, in_use: EntriesInUse, clock: Clock
) -> Amendment:
    """`changes` (JSON values of AMENDABLE_FIELDS, objects merged into the current ones) applied.

    A draft takes any change. Once published: a nomination or territory that live entries stand on
    keeps its code (and a territory its kind) — ContestChangeBlocked (409) names each with its count;
    the window changes only while submissions are open and its deadline stays ahead. Each change of a
    published contest is its next revision. A pydantic ValidationError (422) for an invalid result."""
    unknown = sorted(set(changes) - set(AMENDABLE_FIELDS))
    if unknown:
        raise ValueError(f"not fields a change may touch: {', '.join(unknown)}")
    current = contest.model_dump(mode="json")
    merged = merge_patch(current, dict(changes))
    amended = Contest.model_validate(merged)
    changed = changed_fields(contest, amended)
    if not changed:
        return Amendment(contest=contest, changed=(), announce=False)
    if contest.status is ContestStatus.DRAFT:
        return Amendment(contest=amended, changed=changed, announce=False)
    _check_not_blocked(contest, amended, in_use)
    window_moved = {"submissions_open_at", "submissions_close_at"} & set(changed)
    if window_moved:
        _check_window_movable(contest, "change the submission window")
        if "submissions_close_at" in changed:
            _check_deadline_ahead(amended.window, now_utc(clock), ["body", "window", "closes_at"])
    return Amendment(
        contest=amended.model_copy(update={"revision": contest.revision + 1}),
        changed=changed,
        announce=True,
        previous_submissions_close_at=(
            contest.window.closes_at if "submissions_close_at" in changed else None
        ),
    )


def move_deadline(contest: Contest, closes_at: datetime, reason: str, *, clock: Clock) -> Amendment:
    """Extend or shorten the submission window of a published contest whose submissions are open.

    ContestStateConflict (409) unless open; DeadlineNotAhead (422) for a deadline already past or not
    after the opening."""
    _check_window_movable(contest, "move the deadline")
    now = now_utc(clock)
    if contest.window.has_closed(now):
        raise ContestStateConflict("move the deadline", "past its deadline", "open for submissions")
    location = ["body", "submissions_close_at"]
    if closes_at.astimezone(UTC) <= contest.window.opens_at.astimezone(UTC):
        raise DeadlineNotAhead(closes_at, now=now, opens_at=contest.window.opens_at, location=location)
    window = SubmissionWindow(opens_at=contest.window.opens_at, closes_at=closes_at)
    _check_deadline_ahead(window, now, location)
    if _utc(closes_at) == _utc(contest.window.closes_at):
        return Amendment(contest=contest, changed=(), announce=False)
    return Amendment(
        contest=contest.model_copy(update={"window": window, "revision": contest.revision + 1}),
        changed=("submissions_close_at",),
        announce=True,
        previous_submissions_close_at=contest.window.closes_at,
        reason=reason,
    )


def _check_window_movable(contest: Contest, action: str) -> None:
    if contest.status is not ContestStatus.PUBLISHED:
        raise ContestStateConflict(action, contest.status.value, "published with submissions open")


def _check_deadline_ahead(window: SubmissionWindow, now: datetime, location: list[str]) -> None:
    if window.has_closed(now):
        raise DeadlineNotAhead(window.closes_at, now=now, opens_at=window.opens_at, location=location)


def _check_not_blocked(before: Contest, after: Contest, in_use: EntriesInUse) -> None:
    blocking: list[dict[str, Any]] = []
    for nomination in before.nominations:
        entries = in_use.by_nomination.get(nomination.code, 0)
        if entries and after.nomination(nomination.code) is None:
            blocking.append({"nomination_code": nomination.code, "entries": entries})
    for territory in before.territories:
        entries = in_use.by_territory.get(territory.code, 0)
        kept = after.territory(territory.code)
        if entries and (kept is None or kept.kind is not territory.kind):
            blocking.append({"territory_code": territory.code, "entries": entries})
    if blocking:
        raise ContestChangeBlocked(blocking)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
