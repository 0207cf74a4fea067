"""Routes of the jury: jurors and conflicts of interest."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from kaleidoscope_shared.http.openapi import problems

from ..domain import ConflictSource
from ..service_layer import jury, queries
from ..service_layer.commands import Recuse, RegisterJuror, SetConflict, UpdateJuror
from .access import CurrentJuror, OrganiserOnly, RuntimeDep, UnitOfWorkDep
from .schemas import ConflictListed, ConflictPublic, JurorCreated, JurorLink, JurorPublic, JurorUpdated

router = APIRouter(
    tags=["jury"],
    responses=problems(_409="Not possible in the contest's state, or the juror or conflict exists already."),
)


@router.post(
    "/contests/{contest_id}/jurors", status_code=201, response_model=JurorCreated, dependencies=OrganiserOnly
)
async def register_juror(contest_id: uuid.UUID, command: RegisterJuror, runtime: RuntimeDep) -> JurorCreated:
    """Add a juror to the contest's jury. The answer carries the juror's personal token: it is shown
    this once and stored only as a hash; hand it to the juror."""
    juror, token = await jury.register_juror(runtime, contest_id, command)
    return JurorCreated(**JurorPublic.model_validate(juror).model_dump(), token=token)


@router.get("/contests/{contest_id}/jurors", response_model=list[JurorPublic], dependencies=OrganiserOnly)
async def list_jurors(contest_id: uuid.UUID, unit_of_work: UnitOfWorkDep) -> list[JurorPublic]:
    """The contest's jury."""
    return [JurorPublic.model_validate(j) for j in await queries.jury_of(unit_of_work, contest_id)]


@router.patch(
    "/contests/{contest_id}/jurors/{juror_id}", response_model=JurorUpdated, dependencies=OrganiserOnly
)
async def update_juror(
    contest_id: uuid.UUID, juror_id: uuid.UUID, command: UpdateJuror, runtime: RuntimeDep
) -> JurorUpdated:
    """Change a juror's name, position, library, territory, e-mail or language (only the fields
    given). A new library or territory that conflicts with an entry the juror has in an open stage
    takes that entry away (`entries_taken_away`); automatic conflicts are listed from the new details."""
    juror, taken = await jury.update_juror(runtime, contest_id, juror_id, command)
    return JurorUpdated(**JurorPublic.model_validate(juror).model_dump(), entries_taken_away=taken)


@router.delete("/contests/{contest_id}/jurors/{juror_id}", status_code=204, dependencies=OrganiserOnly)
async def remove_juror(contest_id: uuid.UUID, juror_id: uuid.UUID, runtime: RuntimeDep) -> Response:
    """Remove a juror with their assignments and conflicts; 409 once they have scored any entry."""
    await jury.remove_juror(runtime, contest_id, juror_id)
    return Response(status_code=204)


@router.post(
    "/contests/{contest_id}/jurors/{juror_id}/link", response_model=JurorLink, dependencies=OrganiserOnly
)
async def reissue_link(contest_id: uuid.UUID, juror_id: uuid.UUID, runtime: RuntimeDep) -> JurorLink:
    """A new personal token and link for a juror who lost theirs: the old token and every old link
    answer 401 from now on; the juror is sent the new link (JurorLinkReissued)."""
    juror, token, link = await jury.reissue_link(runtime, contest_id, juror_id)
    return JurorLink(**JurorPublic.model_validate(juror).model_dump(), token=token, link=link)


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
    "/contests/{contest_id}/conflicts", response_model=list[ConflictListed], dependencies=OrganiserOnly
)
async def list_conflicts(contest_id: uuid.UUID, runtime: RuntimeDep) -> list[ConflictListed]:
    """Every conflict, by juror: the automatic ones the contest's rules find (same library, matched
    ignoring case, spacing, quotes and common abbreviations; same territory) with their reason, the
    jurors' recusals (`declared`) and the organiser's rulings (`organiser`)."""
    return [ConflictListed.model_validate(c) for c in await jury.every_conflict(runtime, contest_id)]


@router.post("/contests/{contest_id}/recusals", status_code=201, response_model=ConflictPublic)
async def recuse(
    contest_id: uuid.UUID, command: Recuse, juror: CurrentJuror, runtime: RuntimeDep
) -> ConflictPublic:
    """Declare your own conflict of interest with an entry: you will not see nor score it again."""
    conflict = SetConflict(juror_id=juror.id, entry_id=command.entry_id, reason=command.reason)
    row = await jury.declare_conflict(runtime, contest_id, conflict, ConflictSource.DECLARED_BY_JUROR)
    return ConflictPublic.model_validate(row)
