"""Routes of the jury: jurors and conflicts of interest."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from ..domain import ConflictSource
from ..service_layer import jury
from ..service_layer.commands import Recuse, RegisterJuror, SetConflict
from ..service_layer.loading import get_contest, jurors_of
from .access import CurrentJuror, OrganiserOnly, RuntimeDep
from .schemas import ConflictPublic, JurorCreated, JurorPublic

router = APIRouter(tags=["jury"])


@router.post(
    "/contests/{contest_id}/jurors", status_code=201, response_model=JurorCreated, dependencies=OrganiserOnly
)
async def register_juror(contest_id: uuid.UUID, command: RegisterJuror, runtime: RuntimeDep) -> JurorCreated:
    """Add a juror to the contest's jury. The answer carries the juror's personal token: it is shown
    this once and stored only as a hash; hand it to the juror."""
    juror, token = await jury.register_juror(runtime, contest_id, command)
    return JurorCreated(**JurorPublic.model_validate(juror).model_dump(), token=token)


@router.get("/contests/{contest_id}/jurors", response_model=list[JurorPublic], dependencies=OrganiserOnly)
async def list_jurors(contest_id: uuid.UUID, runtime: RuntimeDep) -> list[JurorPublic]:
    """The contest's jury."""
    async with runtime.sessions() as session:
        await get_contest(session, contest_id)
        return [JurorPublic.model_validate(j) for j in await jurors_of(session, contest_id)]


@router.get("/contests/{contest_id}/me", response_model=JurorPublic)
async def who_am_i(juror: CurrentJuror) -> JurorPublic:
    """The juror the token belongs to."""
    return JurorPublic.model_validate(juror)


@router.post(
    "/contests/{contest_id}/conflicts",
    status_code=201,
    response_model=ConflictPublic,
    dependencies=OrganiserOnly,
)
async def set_conflict(contest_id: uuid.UUID, command: SetConflict, runtime: RuntimeDep) -> ConflictPublic:
    """Rule that a juror may not judge an entry; the juror loses the entry and any sheet given for it."""
    row = await jury.declare_conflict(runtime, contest_id, command, ConflictSource.SET_BY_ORGANISER)
    return ConflictPublic.model_validate(row)


@router.get(
    "/contests/{contest_id}/conflicts", response_model=list[ConflictPublic], dependencies=OrganiserOnly
)
async def list_conflicts(contest_id: uuid.UUID, runtime: RuntimeDep) -> list[ConflictPublic]:
    """Every declared conflict: recusals and the organiser's rulings (automatic ones are not listed)."""
    return [ConflictPublic.model_validate(c) for c in await jury.conflicts_of(runtime, contest_id)]


@router.post("/contests/{contest_id}/recusals", status_code=201, response_model=ConflictPublic)
async def recuse(
    contest_id: uuid.UUID, command: Recuse, juror: CurrentJuror, runtime: RuntimeDep
) -> ConflictPublic:
    """Declare your own conflict of interest with an entry: you will not see nor score it again."""
    conflict = SetConflict(juror_id=juror.id, entry_id=command.entry_id, reason=command.reason)
    row = await jury.declare_conflict(runtime, contest_id, conflict, ConflictSource.DECLARED_BY_JUROR)
    return ConflictPublic.model_validate(row)
