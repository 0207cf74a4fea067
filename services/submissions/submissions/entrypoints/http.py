"""HTTP routes of the submissions service: thin translators onto the service layer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from kaleidoscope_shared.http.problems import ProblemError
from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import EntryRow
from ..service_layer.commands import SubmitEntry
from ..service_layer.entries import submit_entry

router = APIRouter(tags=["entries"])


def get_runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


class EntryPublic(BaseModel):
    id: uuid.UUID
    contest_id: uuid.UUID
    nomination_code: str
    title: str
    revision: int
    status: str


@router.post("/entries", status_code=201, response_model=EntryPublic)
async def post_entry(command: SubmitEntry, runtime: RuntimeDep) -> EntryRow:
    """Submit an entry; judging and notifications hear of it through EntrySubmitted."""
    return await submit_entry(runtime, command)


@router.get("/entries/{entry_id}", response_model=EntryPublic)
async def get_entry(entry_id: uuid.UUID, runtime: RuntimeDep) -> EntryRow:
    """One entry by its id."""
    async with runtime.sessions() as session:
        entry = await session.get(EntryRow, entry_id)
    if entry is None:
        raise ProblemError(404, "Entry not found", f"No entry has the id {entry_id}.")
    return entry
