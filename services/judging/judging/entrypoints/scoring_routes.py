"""Routes a juror uses from a laptop or a phone: their entries, their scores, the jury's scores."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter
from sqlalchemy import select
from sqlmodel import col

from ..adapters.tables import AssignmentRow, EntryCopy, ScoreRow, StageRow
from ..service_layer import scoring
from ..service_layer.commands import GiveScore
from ..service_layer.loading import get_stage
from .access import CurrentJuror, RuntimeDep
from .schemas import EntryForJuror, ScorePublic

router = APIRouter(tags=["scoring"])


def score_public(row: ScoreRow) -> ScorePublic:
    return ScorePublic(
        stage_id=row.stage_id,
        juror_id=row.juror_id,
        entry_id=row.entry_id,
        marks=json.loads(row.marks_json),
        revision=row.revision,
        scored_at=row.scored_at,
    )


@router.get("/contests/{contest_id}/stages/{stage_id}/my-entries", response_model=list[EntryForJuror])
async def my_entries(
    contest_id: uuid.UUID, stage_id: uuid.UUID, juror: CurrentJuror, runtime: RuntimeDep
) -> list[EntryForJuror]:
    """The entries assigned to you in this stage (never one you have a conflict with). A blind stage
    hides authors and their libraries."""
    async with runtime.sessions() as session:
        stage = await get_stage(session, contest_id, stage_id)
        rows = await session.execute(
            select(EntryCopy)
            .join(AssignmentRow, col(AssignmentRow.entry_id) == col(EntryCopy.id))
            .where(col(AssignmentRow.stage_id) == stage_id, col(AssignmentRow.juror_id) == juror.id)
            .order_by(col(EntryCopy.nomination_code), col(EntryCopy.title))
        )
        scored = {
            e
            for (e,) in await session.execute(
                select(col(ScoreRow.entry_id)).where(
                    col(ScoreRow.stage_id) == stage_id, col(ScoreRow.juror_id) == juror.id
                )
            )
        }
        return [_for_juror(e, stage, e.id in scored) for e in rows.scalars()]


def _for_juror(entry: EntryCopy, stage: StageRow, scored: bool) -> EntryForJuror:
    authors = None if stage.blind else json.loads(entry.authors_json)
    return EntryForJuror(
        id=entry.id, nomination_code=entry.nomination_code, title=entry.title, authors=authors, scored=scored
    )


@router.put(
    "/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}/my-score", response_model=ScorePublic
)
async def give_score(
    contest_id: uuid.UUID,
    stage_id: uuid.UUID,
    entry_id: uuid.UUID,
    command: GiveScore,
    juror: CurrentJuror,
    runtime: RuntimeDep,
) -> ScorePublic:
    """Give (or revise, until the stage closes) your marks for an entry: one mark per criterion, within
    its scale. Refused for an entry not assigned to you, one you have a conflict with, or a closed stage."""
    return score_public(await scoring.give_score(runtime, juror, stage_id, entry_id, command.marks))


@router.get(
    "/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}/my-score", response_model=ScorePublic
)
async def get_my_score(
    contest_id: uuid.UUID, stage_id: uuid.UUID, entry_id: uuid.UUID, juror: CurrentJuror, runtime: RuntimeDep
) -> ScorePublic:
    """Your own sheet for an entry."""
    return score_public(await scoring.own_score(runtime, juror, stage_id, entry_id))


@router.get(
    "/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}/jury-scores",
    response_model=list[dict[str, float]],
)
async def jury_scores(
    contest_id: uuid.UUID, stage_id: uuid.UUID, entry_id: uuid.UUID, juror: CurrentJuror, runtime: RuntimeDep
) -> list[dict[str, float]]:
    """The other jurors' marks for an entry (without their names), once you have scored it yourself."""
    return await scoring.jury_scores(runtime, juror, stage_id, entry_id)
