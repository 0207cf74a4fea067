"""From an event to delivery rows (and document rows), written in the consumer's transaction.

A message is rendered whole here, so a template error stops the event (it is retried, then
dead-lettered with the template's problem) instead of sending half a message. Nothing is sent here:
the dispatcher sends committed rows. A redelivered event is dropped by the inbox before it gets here,
and a delivery's id is `delivery_key(event, recipient, channel)`, so no second row can exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from kaleidoscope_shared.contracts import Event

from ..adapters.copies import preferences_of
from ..adapters.document_store import fields_to_json
from ..adapters.tables import DeliveryRow, DocumentRow
from ..documents import DocumentFields, document_fields, document_id_for, normalise_code, verification_code
from ..domain import (
    ContestView,
    DocumentRequest,
    JurorReminderDue,
    PlannedMessage,
    Preferences,
    plan_notifications,
)
from ..domain.kinds import language_or_default
from ..templates import TemplateCatalogue


@dataclass(frozen=True)
class FanOutConfig:
    """What fan-out needs besides the event: the templates, the signing key, the defaults."""

    catalogue: TemplateCatalogue
    signing_key: bytes
    default_channels: tuple[str, ...] = ("file",)
    timezone: str = "UTC"
    city: str = ""


async def fan_out(
    session: AsyncSession,
    config: FanOutConfig,
    event_id: uuid.UUID,
    event: Event | JurorReminderDue,
    view: ContestView,
    *,
    event_type: str,
) -> list[DeliveryRow]:
    """Plan `event`'s messages and stage their rows; returns the rows (not yet committed)."""
    preferences = await _preferences(session, view, event, config.default_channels)
    plan = plan_notifications(event_id, event, view, preferences)
    if not plan.messages:
        return []
    issued_on = _local_date(getattr(event, "finished_at", None) or datetime.now(UTC), config.timezone)
    documents = await _issue_documents(session, config, view, plan.messages, issued_on)
    now = datetime.now(UTC)
    rows = [_row(config, m, event_type, view.contest_id, documents, now) for m in plan.messages]
    await session.execute(insert(DeliveryRow), [row.model_dump() for row in rows])
    return rows


async def _preferences(
    session: AsyncSession, view: ContestView, event: Event | JurorReminderDue, default: tuple[str, ...]
) -> dict[str, Preferences]:
    keys = {a.key for e in view.entries.values() for a in e.authors} | {o.key for o in view.organisers}
    juror_email = getattr(event, "juror_email", None)
    if juror_email:
        keys.add(str(juror_email).strip().lower())
    stored = await preferences_of(session, keys)
    prefs = {key: Preferences(channels=default) for key in keys}
    for key, row in stored.items():
        prefs[key] = Preferences(
            channels=tuple(row.channels) or default,
            language=language_or_default(row.language) if row.language else None,
            addresses=dict(row.addresses),
        )
    return prefs


def _row(
    config: FanOutConfig,
    message: PlannedMessage,
    event_type: str,
    contest_id: uuid.UUID,
    documents: dict[uuid.UUID, DocumentRow],
    now: datetime,
) -> DeliveryRow:
    rendered = config.catalogue.render(message.kind, message.language, message.context)
    return DeliveryRow(
        id=message.delivery_id,
        event_id=message.source_event_id,
        event_type=event_type,
        kind=message.kind.value,
        contest_id=contest_id,
        recipient=message.person.key,
        recipient_name=message.person.name,
        address=message.address,
        language=message.language,
        channel=message.channel,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        document_ids=[str(document_id_for(d)) for d in message.documents],
        status="pending",
        created_at=now,
    )


async def _issue_documents(
    session: AsyncSession,
    config: FanOutConfig,
    view: ContestView,
    messages: Sequence[PlannedMessage],
    issued_on: date,
) -> dict[uuid.UUID, DocumentRow]:
    """One row per document (several channels share it); the PDF is drawn later, when sending."""
    wanted: dict[uuid.UUID, tuple[PlannedMessage, DocumentRequest]] = {}
    for message in messages:
        for request in message.documents:
            wanted.setdefault(document_id_for(request), (message, request))
    if not wanted:
        return {}
    existing = await _existing_documents(session, list(wanted))
    organisers = tuple(o.name for o in view.organisers)
    now = datetime.now(UTC)
    new: list[DocumentRow] = []
    for document_id, (message, request) in wanted.items():
        if document_id in existing:
            continue
        fields = document_fields(
            request,
            view,
            issued_on=issued_on,
            organisers=organisers,
            city=config.city,
            language=message.language,
        )
        new.append(_document_row(fields, config.signing_key, view.contest_id, request, now))
    if new:
        await session.execute(insert(DocumentRow), [row.model_dump() for row in new])
    return existing | {row.document_id: row for row in new}


def _document_row(
    fields: DocumentFields, key: bytes, contest_id: uuid.UUID, request: DocumentRequest, now: datetime
) -> DocumentRow:
    return DocumentRow(
        document_id=fields.document_id,
        code=normalise_code(verification_code(fields, key)),
        kind=fields.kind.value,
        contest_id=contest_id,
        entry_id=request.entry_id,
        person_key=request.person_key,
        fields=fields_to_json(fields),
        issued_at=now,
    )


async def _existing_documents(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, DocumentRow]:
    found: dict[uuid.UUID, DocumentRow] = {}
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(DocumentRow).where(col(DocumentRow.document_id).in_(ids[start : start + 500]))
        )
        found |= {row.document_id: row for row in rows.scalars()}
    return found


def _local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()
