"""The delivery log: who was told what, on which channel, and who has not been told yet (per contest:
`/contests/{contest_id}/untold`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from kaleidoscope_shared.http.openapi import problems
from kaleidoscope_shared.http.problems import ProblemError

from ...adapters.tables import ContestCopy, DeliveryAttemptRow, DeliveryRow
from ...domain.kinds import kind_named
from ...domain.links import masked
from .deps import ORGANISER_ONLY, ServiceDep

router = APIRouter(tags=["deliveries"], dependencies=ORGANISER_ONLY)

Status = Literal["pending", "sending", "sent", "failed", "dead"]


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
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    provider_id: str | None
    created_at: datetime
    sent_at: datetime | None


class AttemptPublic(BaseModel):
    """One try at sending: written before the channel was called. `outcome` is `sent`, `failed`,
    `dead`, or null when unknown: still being sent, or its dispatcher stopped mid-send (the message may
    have arrived; it was sent again as a later attempt, with the same Message-ID / webhook-id)."""

    number: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    error: str | None
    provider_id: str | None
    dispatcher: str


class DeliveryDetail(DeliveryPublic):
    """`text` and `html` show a private or personal link as `[private link]`."""

    text: str
    html: str | None
    attempt_history: list[AttemptPublic]


@router.get("/deliveries", response_model=list[DeliveryPublic])
async def list_deliveries(
    service: ServiceDep,
    contest_id: uuid.UUID | None = None,
    status: Annotated[list[Status] | None, Query()] = None,
    channel: str | None = None,
    recipient: Annotated[str | None, Query(max_length=320)] = None,
    event_type: str | None = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[DeliveryPublic]:
    """Recorded deliveries, oldest first, a page at a time (`limit`, `offset`), filtered by contest,
    status (repeat it: `status=pending&status=sending&status=failed&status=dead` lists who has not been
    told yet), channel, event type, `kind` (an event type such as `contest-amended`, or a message kind
    such as `deadline_changed`, also spelt `deadline-changed`) and `recipient`: part of the
    recipient's e-mail, name or address, in any case (ё and е alike)."""
    conditions: list[Any] = []
    if contest_id:
        conditions.append(DeliveryRow.contest_id == contest_id)
    if status:
        conditions.append(col(DeliveryRow.status).in_(status))
    if channel:
        conditions.append(DeliveryRow.channel == channel)
    if event_type:
        conditions.append(DeliveryRow.event_type == event_type)
    if kind:
        named = kind_named(kind)
        conditions.append(
            or_(col(DeliveryRow.event_type) == kind.strip(), col(DeliveryRow.kind) == (named or kind.strip()))
        )
    order = (col(DeliveryRow.created_at), col(DeliveryRow.id))
    async with service.runtime.sessions() as session:
        if recipient and recipient.strip():
            ids = await _matching(session, conditions, order, recipient, limit, offset)
            found = await session.execute(select(DeliveryRow).where(col(DeliveryRow.id).in_(ids)))
            by_id = {row.id: row for row in found.scalars()}
            rows = [by_id[i] for i in ids if i in by_id]
        else:
            query = select(DeliveryRow).where(*conditions).order_by(*order).limit(limit).offset(offset)
            rows = list((await session.execute(query)).scalars())
        return [DeliveryPublic.model_validate(_shown(row)) for row in rows]


def _folded(text: str) -> str:
    """For comparing as a person reads: any case, ё as е (SQLite's lower() knows only ASCII)."""
    return text.casefold().replace("ё", "е")


async def _matching(
    session: AsyncSession,
    conditions: list[Any],
    order: tuple[Any, ...],
    recipient: str,
    limit: int,
    offset: int,
) -> list[uuid.UUID]:
    """The page of ids, among the deliveries meeting `conditions`, whose recipient's e-mail, name or
    address holds `recipient`: compared here, not in SQL, so that Cyrillic names match in any case
    on SQLite and PostgreSQL alike; only these four short columns are read for the comparison."""
    needle = _folded(recipient.strip())
    columns = (DeliveryRow.id, DeliveryRow.recipient, DeliveryRow.recipient_name, DeliveryRow.address)
    found = await session.execute(select(*columns).where(*conditions).order_by(*order))
    ids = [
        delivery_id
        for delivery_id, key, name, address in found
        if any(needle in _folded(value or "") for value in (key, name, address))
    ]
    return ids[offset : offset + limit]


class UntoldRecipient(BaseModel):
    """Someone not told about an event: a delivery of it to them failed (a retry is due) or is dead,
    and none to them on another channel was sent. `delivery_id` is the latest such delivery (resend
    it with `POST /deliveries/{delivery_id}/resend`)."""

    recipient: str
    recipient_name: str
    event_id: uuid.UUID
    event_type: str
    kind: str
    channel: str
    last_status: str
    last_error: str | None
    last_attempt_at: datetime | None
    delivery_id: uuid.UUID


@router.get("/contests/{contest_id}/untold", response_model=list[UntoldRecipient], responses=problems(404))
async def untold_recipients(contest_id: uuid.UUID, service: ServiceDep) -> list[UntoldRecipient]:
    """Who has not been told: per event and recipient, a failed or dead delivery and no sent one;
    sorted by recipient, then by when the event's message was written. 404 for a contest this
    service has not heard of."""
    async with service.runtime.sessions() as session:
        if await session.get(ContestCopy, contest_id) is None:
            raise ProblemError(
                404, "Contest not found", f"No contest with the id {contest_id} has been announced to us."
            )
        mine = DeliveryRow.contest_id == contest_id
        told = await session.execute(
            select(DeliveryRow.event_id, DeliveryRow.recipient)
            .where(mine, DeliveryRow.status == "sent")
            .distinct()
        )
        sent = {(event_id, recipient) for event_id, recipient in told}
        failing = await session.execute(
            select(DeliveryRow).where(mine, col(DeliveryRow.status).in_(("failed", "dead")))
        )
        latest: dict[tuple[uuid.UUID, str], DeliveryRow] = {}
        for row in failing.scalars():
            key = (row.event_id, row.recipient)
            if key in sent:
                continue
            if key not in latest or _moment(row) > _moment(latest[key]):
                latest[key] = row
    rows = sorted(latest.values(), key=lambda r: (r.recipient, r.created_at, str(r.id)))
    return [
        UntoldRecipient(
            recipient=row.recipient,
            recipient_name=row.recipient_name,
            event_id=row.event_id,
            event_type=row.event_type,
            kind=row.kind,
            channel=row.channel,
            last_status=row.status,
            last_error=row.last_error,
            last_attempt_at=row.last_attempt_at,
            delivery_id=row.id,
        )
        for row in rows
    ]


def _moment(row: DeliveryRow) -> datetime:
    return row.last_attempt_at or row.created_at


def _shown(row: DeliveryRow) -> dict[str, Any]:
    """A delivery as the API shows it: a private or personal link in its message (kept sealed) shown as
    `[private link]`, so that nobody reading the log can open a participant's entry or sign in as a
    juror; the message the recipient gets has the link itself."""
    values = row.model_dump()
    values["subject"] = masked(row.subject)
    values["text"] = masked(row.text)
    values["html"] = masked(row.html) if row.html is not None else None
    return values


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail)
async def get_delivery(delivery_id: uuid.UUID, service: ServiceDep) -> DeliveryDetail:
    """One delivery with the text and HTML that were (or will be) sent, and every attempt at sending
    it, oldest first."""
    async with service.runtime.sessions() as session:
        row = await session.get(DeliveryRow, delivery_id)
        if row is None:
            raise ProblemError(404, "Delivery not found", f"No delivery has the id {delivery_id}.")
        attempts = (
            await session.execute(
                select(DeliveryAttemptRow)
                .where(DeliveryAttemptRow.delivery_id == delivery_id)
                .order_by(col(DeliveryAttemptRow.started_at), col(DeliveryAttemptRow.number))
            )
        ).scalars()
        log = [AttemptPublic.model_validate(a, from_attributes=True) for a in attempts]
    return DeliveryDetail.model_validate({**_shown(row), "attempt_history": log})


@router.post("/deliveries/{delivery_id}/resend", status_code=202, response_model=DeliveryPublic)
async def resend_delivery(delivery_id: uuid.UUID, service: ServiceDep) -> DeliveryPublic:
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
    return DeliveryPublic.model_validate(_shown(row))
