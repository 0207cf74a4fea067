"""HTTP routes of the notifications service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlmodel import col, select

from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import DeliveryRow

router = APIRouter(tags=["deliveries"])


def get_runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    recipient: str
    channel: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


@router.get("/deliveries", response_model=list[DeliveryPublic])
async def list_deliveries(
    runtime: RuntimeDep, contest_id: uuid.UUID | None = None, status: str | None = None
) -> list[DeliveryRow]:
    """Every message the service recorded, optionally for one contest or in one status."""
    query = select(DeliveryRow).order_by(col(DeliveryRow.created_at))
    if contest_id:
        query = query.where(DeliveryRow.contest_id == contest_id)
    if status:
        query = query.where(DeliveryRow.status == status)
    async with runtime.sessions() as session:
        return list((await session.execute(query)).scalars())
