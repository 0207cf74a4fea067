"""HTTP routes for contests: organisers create, publish and close them; anyone sees a published one."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ..domain.contest import (
    Contest,
    ContestRules,
    ContestStatus,
    Nomination,
    Organiser,
    SubmissionWindow,
    Territory,
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

    def to_contest(self) -> Contest:
        return Contest.model_validate(self.model_dump())


class ClosureView(BaseModel):
    contest_id: uuid.UUID
    closed_at: datetime
    closed_by: str
    entry_count: int
    entry_ids: list[uuid.UUID]


@router.post("/contests", status_code=201, response_model=Contest, dependencies=ORGANISER_ONLY)
async def create_contest(body: ContestCreate, ctx: ContextDep) -> Contest:
    """Create a contest as a draft (organisers only): nominations, territories, window and rules."""
    return await use_cases.create_contest(ctx, body.to_contest())


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


@router.post("/contests/{contest_id}/publish", response_model=Contest, dependencies=ORGANISER_ONLY)
async def publish_contest(contest_id: uuid.UUID, ctx: ContextDep) -> Contest:
    """Publish a draft (organisers only): participants can then submit, and ContestAnnounced is emitted."""
    return await use_cases.publish_contest(ctx, contest_id)


@router.post("/contests/{contest_id}/close", response_model=ClosureView, dependencies=ORGANISER_ONLY)
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
