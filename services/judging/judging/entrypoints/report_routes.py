"""Routes the organiser reads: progress, results, fairness, the audit chain; and the entries judging knows."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import col, select

from ..adapters.tables import EntryCopy
from ..service_layer import reports
from ..service_layer.audit import verify_chain
from ..service_layer.loading import get_contest
from .access import OrganiserOnly, RuntimeDep
from .schemas import AuditVerification, ResultPublic

router = APIRouter()


@router.get("/contests/{contest_id}/stages/{stage_id}/progress", tags=["reports"], dependencies=OrganiserOnly)
async def progress(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> dict[str, Any]:
    """Scoring progress per juror and per entry: assigned, scored, and what is missing."""
    report = await reports.progress_of(runtime, contest_id, stage_id)
    return {"complete": report.complete, **asdict(report)}


@router.get(
    "/contests/{contest_id}/stages/{stage_id}/results",
    response_model=list[ResultPublic],
    tags=["reports"],
    dependencies=OrganiserOnly,
)
async def results(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> list[ResultPublic]:
    """Each entry's aggregate, rank, whether it advanced (or its place), and the rule that decided."""
    return [ResultPublic.model_validate(r) for r in await reports.results_of(runtime, contest_id, stage_id)]


@router.get("/contests/{contest_id}/stages/{stage_id}/fairness", tags=["reports"], dependencies=OrganiserOnly)
async def fairness(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> dict[str, Any]:
    """Each juror's harshness, the jury's disagreement per entry, and whether normalising jurors
    would change who advances or wins."""
    return asdict(await reports.fairness_of(runtime, contest_id, stage_id))


@router.get(
    "/contests/{contest_id}/audit/verification",
    response_model=AuditVerification,
    tags=["reports"],
    dependencies=OrganiserOnly,
)
async def verify_audit(contest_id: uuid.UUID, runtime: RuntimeDep) -> AuditVerification:
    """Check the contest's hash-chained audit log; names the first broken record, if any."""
    async with runtime.sessions() as session:
        await get_contest(session, contest_id)
        count, broken = await verify_chain(session, contest_id)
    return AuditVerification(records=count, first_broken_sequence=broken, intact=broken is None)


class EntryInJudging(BaseModel):
    id: uuid.UUID
    nomination_code: str
    title: str
    revision: int
    withdrawn: bool


@router.get("/contests/{contest_id}/entries", response_model=list[EntryInJudging], tags=["entries"])
async def list_entries(contest_id: uuid.UUID, runtime: RuntimeDep) -> list[EntryCopy]:
    """The entries judging knows of in a contest, as built from submissions' events (titles only)."""
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(EntryCopy).where(col(EntryCopy.contest_id) == contest_id).order_by(col(EntryCopy.title))
        )
        return list(rows.scalars())
