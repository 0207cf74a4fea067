"""Routes a juror uses from a laptop or a phone: their entries, their scores, the jury's scores."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from kaleidoscope_shared.http.openapi import problems

from ..service_layer import queries, scoring
from ..service_layer.commands import GiveScore
from ..service_layer.ports import ScoreRecord
from .access import CurrentJuror, RuntimeDep, UnitOfWorkDep
from .schemas import EntryForJuror, ScorePublic

router = APIRouter(
    tags=["scoring"],
    responses=problems(
        _403="The entry is not assigned to you, or you have a conflict of interest with it.",
        _409="The stage is not open for scoring, or the entry was withdrawn.",
    ),
)


def score_public(row: ScoreRecord) -> ScorePublic:
    return ScorePublic(
        stage_id=row.stage_id,
        juror_id=row.juror_id,
        entry_id=row.entry_id,
        marks=row.marks,
        revision=row.revision,
        scored_at=row.scored_at,
    )


@router.get("/contests/{contest_id}/stages/{stage_id}/my-entries", response_model=list[EntryForJuror])
async def my_entries(
    contest_id: uuid.UUID, stage_id: uuid.UUID, juror: CurrentJuror, unit_of_work: UnitOfWorkDep
) -> list[EntryForJuror]:
    """The entries assigned to you in this stage (never one you have a conflict with). A blind stage
    hides authors and their libraries."""
    return [
        EntryForJuror(
            id=e.id, nomination_code=e.nomination_code, title=e.title, authors=e.authors, scored=e.scored
        )
        for e in await queries.entries_assigned(unit_of_work, juror, contest_id, stage_id)
    ]


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
