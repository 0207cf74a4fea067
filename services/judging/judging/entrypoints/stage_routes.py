"""Routes of stages: declaring, opening, closing, the chair's decision, awards."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter

from ..adapters.tables import StageRow
from ..service_layer import chair, closing, stages, winners
from ..service_layer.commands import DeclareStage, OrderTiedEntries, SetAwards
from ..service_layer.loading import get_contest, get_stage
from .access import OrganiserOnly, RuntimeDep
from .schemas import StagePublic

router = APIRouter(tags=["stages"])


def stage_public(row: StageRow) -> StagePublic:
    return StagePublic(
        **{
            name: getattr(row, name)
            for name in (
                "id",
                "contest_id",
                "position",
                "name",
                "kind",
                "blind",
                "status",
                "opened_at",
                "closed_at",
                "defending_entry_id",
            )
        },
        definition=json.loads(row.definition_json),
        chair_ordering=json.loads(row.chair_ordering_json),
        running_order=json.loads(row.running_order_json),
        defended=json.loads(row.defended_json),
    )


@router.post(
    "/contests/{contest_id}/stages", status_code=201, response_model=StagePublic, dependencies=OrganiserOnly
)
async def declare_stage(contest_id: uuid.UUID, command: DeclareStage, runtime: RuntimeDep) -> StagePublic:
    """Declare the contest's next stage (criteria, aggregation, normalisation, advancement rule,
    tie-break chain, deadline, assignment mode, blind). Stages run in the order declared; a final is last."""
    return stage_public(await stages.declare_stage(runtime, contest_id, command))


@router.get("/contests/{contest_id}/stages", response_model=list[StagePublic], dependencies=OrganiserOnly)
async def list_stages(contest_id: uuid.UUID, runtime: RuntimeDep) -> list[StagePublic]:
    """The contest's stages in order."""
    async with runtime.sessions() as session:
        await get_contest(session, contest_id)
        return [stage_public(s) for s in await stages.stages_of(session, contest_id)]


@router.get(
    "/contests/{contest_id}/stages/{stage_id}", response_model=StagePublic, dependencies=OrganiserOnly
)
async def get_stage_route(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> StagePublic:
    """One stage."""
    async with runtime.sessions() as session:
        return stage_public(await get_stage(session, contest_id, stage_id))


@router.post(
    "/contests/{contest_id}/stages/{stage_id}/open", response_model=StagePublic, dependencies=OrganiserOnly
)
async def open_stage(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> StagePublic:
    """Open a declared stage: stage 1 takes the entries SubmissionsClosed fixed, a later stage the
    entries that advanced; jurors are assigned; StageOpened and a JurorAssigned per juror are emitted."""
    return stage_public(await stages.open_stage(runtime, contest_id, stage_id))


@router.post(
    "/contests/{contest_id}/stages/{stage_id}/close", response_model=StagePublic, dependencies=OrganiserOnly
)
async def close_stage(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> StagePublic:
    """Close an open stage: rank, record each entry's outcome and reason, emit StageClosed (once, even
    when replicas race); a final also emits WinnerDeclared per nomination and ContestFinished.
    A tie the chain cannot break answers 409 with `tied_entries` until the chair orders them."""
    return stage_public(await closing.close_stage(runtime, contest_id, stage_id))


@router.put(
    "/contests/{contest_id}/stages/{stage_id}/chair-ordering",
    response_model=StagePublic,
    dependencies=OrganiserOnly,
)
async def order_tied_entries(
    contest_id: uuid.UUID, stage_id: uuid.UUID, command: OrderTiedEntries, runtime: RuntimeDep
) -> StagePublic:
    """Record the chair's decision: tied entries in the order the chair ranks them, best first."""
    return stage_public(await chair.order_tied_entries(runtime, contest_id, stage_id, command.entry_ids))


@router.put(
    "/contests/{contest_id}/stages/{stage_id}/awards", response_model=StagePublic, dependencies=OrganiserOnly
)
async def set_awards(
    contest_id: uuid.UUID, stage_id: uuid.UUID, command: SetAwards, runtime: RuntimeDep
) -> StagePublic:
    """Prizes per place (cash, sponsor, other; optionally per nomination) and special mentions of a final."""
    return stage_public(await winners.set_awards(runtime, contest_id, stage_id, command))
