"""Routes of stages: declaring, opening, closing, the chair's decision, awards."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from kaleidoscope_shared.http.openapi import problems

from ..service_layer import chair, closing, queries, reminders, stages, winners
from ..service_layer.commands import DeclareStage, OrderTiedEntries, SetAwards
from ..service_layer.ports import StageRecord
from .access import OrganiserOnly, RuntimeDep, UnitOfWorkDep
from .schemas import Reminded, StagePublic

router = APIRouter(
    tags=["stages"],
    responses=problems(_409="Not possible in the stage's state (opened, closed, tied) or the contest's."),
)


def stage_public(row: StageRecord) -> StagePublic:
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
        definition=row.definition,
        chair_ordering=row.chair_ordering,
        running_order=row.running_order,
        defended=row.defended,
    )


@router.post(
    "/contests/{contest_id}/stages", status_code=201, response_model=StagePublic, dependencies=OrganiserOnly
)
async def declare_stage(contest_id: uuid.UUID, command: DeclareStage, runtime: RuntimeDep) -> StagePublic:
    """Declare the contest's next stage (criteria, aggregation, normalisation, advancement rule,
    tie-break chain, deadline, assignment mode, blind). Stages run in the order declared; a final is last."""
    return stage_public(await stages.declare_stage(runtime, contest_id, command))


@router.get("/contests/{contest_id}/stages", response_model=list[StagePublic], dependencies=OrganiserOnly)
async def list_stages(contest_id: uuid.UUID, unit_of_work: UnitOfWorkDep) -> list[StagePublic]:
    """The contest's stages in order."""
    return [stage_public(s) for s in await queries.stages_of_contest(unit_of_work, contest_id)]


@router.get(
    "/contests/{contest_id}/stages/{stage_id}", response_model=StagePublic, dependencies=OrganiserOnly
)
async def get_stage_route(
    contest_id: uuid.UUID, stage_id: uuid.UUID, unit_of_work: UnitOfWorkDep
) -> StagePublic:
    """One stage."""
    return stage_public(await queries.one_stage(unit_of_work, contest_id, stage_id))


@router.put(
    "/contests/{contest_id}/stages/{stage_id}", response_model=StagePublic, dependencies=OrganiserOnly
)
async def replace_stage(
    contest_id: uuid.UUID, stage_id: uuid.UUID, command: DeclareStage, runtime: RuntimeDep
) -> StagePublic:
    """Replace a stage that has not been opened (its place in the order stays); 409 once it is open."""
    return stage_public(await stages.replace_stage(runtime, contest_id, stage_id, command))


@router.delete("/contests/{contest_id}/stages/{stage_id}", status_code=204, dependencies=OrganiserOnly)
async def remove_stage(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> Response:
    """Remove a stage that has not been opened; the stages declared after it move up one place."""
    await stages.remove_stage(runtime, contest_id, stage_id)
    return Response(status_code=204)


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


@router.get(
    "/contests/{contest_id}/stages/{stage_id}/awards", response_model=SetAwards, dependencies=OrganiserOnly
)
async def get_awards(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> SetAwards:
    """A final's prizes per place and special mentions as PUT stored them (none set: empty lists)."""
    return await winners.awards_of(runtime, contest_id, stage_id)


@router.post(
    "/contests/{contest_id}/stages/{stage_id}/reminders", response_model=Reminded, dependencies=OrganiserOnly
)
async def remind_now(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> Reminded:
    """Remind now every juror with entries still unscored in the open stage (a JurorReminderDue each,
    which notifications sends); 409 when the stage is not open or has no deadline to remind of."""
    return Reminded(reminded=await reminders.remind_now(runtime, contest_id, stage_id))
