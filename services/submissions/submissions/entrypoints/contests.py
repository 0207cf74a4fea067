"""HTTP routes for contests: organisers create, publish and close them; anyone sees a published one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kaleidoscope_shared.http.openapi import problems

from ..domain.contest import (
    Contest,
    ContestRules,
    ContestStatus,
    Nomination,
    Organiser,
    SubmissionWindow,
    Territory,
    TimeZoneName,
)
from ..service_layer import contests as use_cases
from ..service_layer.errors import ContestNotFound
from .dependencies import ORGANISER_ONLY, ContextDep, OrganiserDep

router = APIRouter(tags=["contests"])


class ContestCreate(BaseModel):
    """A new contest, as its organisers define it; it stays a draft until published."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    description: str = ""
    organisers: list[Organiser] = []
    contact: str = ""
    nominations: list[Nomination] = Field(min_length=1)
    territories: list[Territory] = Field(min_length=1)
    window: SubmissionWindow
    rules: ContestRules = ContestRules()
    time_zone: TimeZoneName | None = None
    """An IANA name (`Asia/Novokuznetsk`); none: the service's default (`SUBMISSIONS_DEFAULT_TIME_ZONE`)."""

    def to_contest(self, default_time_zone: str) -> Contest:
        return Contest.model_validate(self.model_dump() | {"time_zone": self.time_zone or default_time_zone})


class WindowPatch(BaseModel):
    """Either end of the submission window, or both (each with its time zone)."""

    model_config = ConfigDict(extra="forbid")

    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None


class ContestPatch(BaseModel):
    """The fields to change, named as in POST /contests. Objects (`window`, `rules` and its parts) are
    merged into the current ones, so `{"rules": {"documents": {"full_title": "…"}}}` changes only the
    full title; lists (`nominations`, `territories`, `organisers`, `signatories`) are replaced whole."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = None
    organisers: list[Organiser] | None = None
    contact: str | None = None
    nominations: list[Nomination] | None = Field(default=None, min_length=1)
    territories: list[Territory] | None = Field(default=None, min_length=1)
    window: WindowPatch | None = None
    rules: ContestRules | None = None
    time_zone: TimeZoneName | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True, exclude_none=True)


class DeadlineMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submissions_close_at: AwareDatetime
    reason: str = Field(default="", max_length=2000)
    """Why: the participants are told it with the new deadline."""


class ClosureView(BaseModel):
    contest_id: uuid.UUID
    closed_at: datetime
    closed_by: str
    entry_count: int
    entry_ids: list[uuid.UUID]


@router.post(
    "/contests",
    status_code=201,
    response_model=Contest,
    dependencies=ORGANISER_ONLY,
    responses=problems(_422="The contest is not valid (e.g. an unknown time zone, a text too long)."),
)
async def create_contest(body: ContestCreate, ctx: ContextDep) -> Contest:
    """Create a contest as a draft (organisers only): nominations (with their English titles and
    descriptions), territories, window, rules (the consent text among them) and time zone."""
    return await use_cases.create_contest(ctx, body.to_contest(ctx.default_time_zone))


@router.get("/contests", response_model=list[Contest])
async def list_contests(ctx: ContextDep, organiser: OrganiserDep) -> list[Contest]:
    """The published contests; with the organiser token, drafts too."""
    return await use_cases.list_contests(ctx, published_only=not organiser)


@router.get("/contests/{contest_id}", response_model=Contest)
async def get_contest(contest_id: uuid.UUID, ctx: ContextDep, organiser: OrganiserDep) -> Contest:
    """A contest with its nominations, territories, window and rules. A draft is seen only by organisers."""
    contest = await use_cases.get_contest(ctx, contest_id)
    if contest.status is ContestStatus.DRAFT and not organiser:
        raise ContestNotFound(contest_id)
    return contest


@router.post(
    "/contests/{contest_id}/publish",
    response_model=Contest,
    dependencies=ORGANISER_ONLY,
    responses=problems(_409="The contest is not a draft."),
)
async def publish_contest(contest_id: uuid.UUID, ctx: ContextDep) -> Contest:
    """Publish a draft (organisers only): participants can then submit, and ContestAnnounced is emitted."""
    return await use_cases.publish_contest(ctx, contest_id)


@router.patch(
    "/contests/{contest_id}",
    response_model=Contest,
    dependencies=ORGANISER_ONLY,
    responses=problems(
        _409="A nomination or territory that entries are in would lose its code (`blocking` names each "
        "with its entries), the window of a closed contest would move, or another change came first.",
        _422="The contest as changed is not valid, or its new deadline is already past.",
    ),
)
async def amend_contest(contest_id: uuid.UUID, body: ContestPatch, ctx: ContextDep) -> Contest:
    """Change a contest (organisers only): a draft in any way; a published one becomes its next
    `revision` and ContestAmended names what changed. Nominations and territories that entries are in
    keep their codes (their titles, names and descriptions may change)."""
    return await use_cases.amend_contest(ctx, contest_id, body.changes())


@router.post(
    "/contests/{contest_id}/deadline",
    response_model=Contest,
    dependencies=ORGANISER_ONLY,
    responses=problems(
        _409="Submissions are not open (a draft, or closed already).",
        _422="The new deadline is already past, or not after the window opens.",
    ),
)
async def move_deadline(contest_id: uuid.UUID, body: DeadlineMove, ctx: ContextDep) -> Contest:
    """Extend or shorten the submission window while it is open (organisers only); ContestAmended
    carries the new and the previous deadline and the reason, and the participants are told."""
    contest, _ = await use_cases.move_deadline(ctx, contest_id, body.submissions_close_at, body.reason)
    return contest


@router.post(
    "/contests/{contest_id}/close",
    response_model=ClosureView,
    dependencies=ORGANISER_ONLY,
    responses=problems(_409="The contest is not published, or its submissions are closed already."),
)
async def close_submissions(contest_id: uuid.UUID, ctx: ContextDep) -> ClosureView:
    """Close submissions now (organisers only), even before the deadline; SubmissionsClosed carries the
    final list of entries. The worker does the same by itself at the deadline."""
    closure = await use_cases.close_submissions(ctx, contest_id, "organiser")
    return ClosureView(
        contest_id=closure.contest_id,
        closed_at=closure.closed_at,
        closed_by=closure.closed_by,
        entry_count=len(closure.entries),
        entry_ids=[e.entry_id for e in closure.entries],
    )
