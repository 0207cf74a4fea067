"""HTTP routes of the judging service."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlmodel import select

from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import EntryCopy

router = APIRouter(tags=["entries"])


def get_runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


class EntryInJudging(BaseModel):
    id: uuid.UUID
    nomination_code: str
    title: str
    revision: int
    withdrawn: bool


@router.get("/contests/{contest_id}/entries", response_model=list[EntryInJudging])
async def list_entries(contest_id: uuid.UUID, runtime: RuntimeDep) -> list[EntryCopy]:
    """The entries judging knows of in a contest, as built from submissions' events."""
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(EntryCopy).where(EntryCopy.contest_id == contest_id).order_by(EntryCopy.title)
        )
        return list(rows.scalars())
