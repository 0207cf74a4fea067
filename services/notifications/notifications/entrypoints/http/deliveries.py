"""The delivery log: who was told what, on which channel, and who has not been told yet."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from kaleidoscope_shared.http.problems import ProblemError

from ...adapters.tables import DeliveryRow
from .deps import ORGANISER_ONLY, ServiceDep

router = APIRouter(tags=["deliveries"], dependencies=ORGANISER_ONLY)

Status = Literal["pending", "sent", "failed", "dead"]


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    kind: str
    contest_id: uuid.UUID | None
    recipient: str
    recipient_name: str
    address: str
    language: str
    channel: str
    subject: str
    document_ids: list[str]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    provider_id: str | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryDetail(DeliveryPublic):
    text: str
    html: str | None


@router.get("/deliveries", response_model=list[DeliveryPublic])
async def list_deliveries(
    service: ServiceDep,
    contest_id: uuid.UUID | None = None,
    status: Annotated[list[Status] | None, Query()] = None,
    channel: str | None = None,
    recipient: str | None = None,
    event_type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DeliveryRow]:
    """Recorded deliveries, oldest first, filtered by contest, status (repeat it: `status=pending&status=failed&status=dead`
    lists who has not been told yet), channel, recipient (their e-mail) or event type."""
    query = select(DeliveryRow).order_by(col(DeliveryRow.created_at), col(DeliveryRow.id))
    if contest_id:
        query = query.where(DeliveryRow.contest_id == contest_id)
    if status:
        query = query.where(col(DeliveryRow.status).in_(status))
    if channel:
        query = query.where(DeliveryRow.channel == channel)
    if recipient:
        query = query.where(DeliveryRow.recipient == recipient.strip().lower())
    if event_type:
        query = query.where(DeliveryRow.event_type == event_type)
    async with service.runtime.sessions() as session:
        return list((await session.execute(query.limit(limit).offset(offset))).scalars())


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail)
async def get_delivery(delivery_id: uuid.UUID, service: ServiceDep) -> DeliveryRow:
    """One delivery with the text and HTML that were (or will be) sent."""
    async with service.runtime.sessions() as session:
        row = await session.get(DeliveryRow, delivery_id)
    if row is None:
        raise ProblemError(404, "Delivery not found", f"No delivery has the id {delivery_id}.")
    return row


@router.post("/deliveries/{delivery_id}/resend", status_code=202, response_model=DeliveryPublic)
async def resend_delivery(delivery_id: uuid.UUID, service: ServiceDep) -> DeliveryRow:
    """Send a delivery again, now, with a fresh allowance of attempts. The message keeps its id (the
    same Message-ID / webhook-id), so the recipient's system can tell it is the same message."""
    now = datetime.now(UTC)
    async with service.runtime.sessions() as session, session.begin():
        row = await session.get(DeliveryRow, delivery_id, with_for_update=True)
        if row is None:
            raise ProblemError(404, "Delivery not found", f"No delivery has the id {delivery_id}.")
        claimed_until = row.claimed_until
        if claimed_until is not None and claimed_until.replace(tzinfo=UTC) > now:
            raise ProblemError(
                409, "Delivery is being sent", "It is being sent right now; try again shortly."
            )
        row.status, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, None, None
        session.add(row)
    return row
