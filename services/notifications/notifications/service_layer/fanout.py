"""From an event to delivery rows (and document rows), written in the consumer's transaction.

A private or personal link is rendered sealed (`domain/links`): the stored message holds it sealed,
and the dispatcher opens it only when it hands the message to a channel. A message is rendered whole here, so a template error stops the event (it is retried, then
dead-lettered with the template's problem) instead of sending half a message. Nothing is sent here:
the dispatcher sends committed rows. A redelivered event is dropped by the inbox before it gets here,
and a delivery's id is `delivery_key(event, recipient, channel)`, so no second row can exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kaleidoscope_shared.contracts import Event
from kaleidoscope_shared.settings import DEVELOPMENT_LINK_KEY

from ..adapters.copies import preferences_of
from ..adapters.document_store import fields_to_json
from ..adapters.tables import DELIVERIES, DOCUMENTS
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
    link_key: str = DEVELOPMENT_LINK_KEY
    """Seals a private or personal link that arrives in clear (an event from before links were sealed)."""


async def fan_out(
    session: AsyncSession,
    config: FanOutConfig,
    event_id: uuid.UUID,
    event: Event | JurorReminderDue,
    view: ContestView,
    *,
    event_type: str,
) -> int:
    """Plan `event`'s messages and stage their rows (not yet committed); returns how many.

    Rows are written as plain column values with Core inserts: a contest's end plans tens of
    thousands of rows in this transaction, and building ORM objects for them cost more than the rest."""
    preferences = await _preferences(session, view, event, config.default_channels)
    plan = plan_notifications(event_id, event, view, preferences)
    if not plan.messages:
        return 0
    issued_on = _local_date(decided_at(event), config.timezone)
    ids = await _issue_documents(session, config, view, plan.messages, issued_on)
    now = datetime.now(UTC)
    rows = [_row(config, m, event_type, view.contest_id, now, ids) for m in plan.messages]
    await session.execute(insert(DELIVERIES), rows)
    return len(rows)


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
    now: datetime,
    document_ids: dict[DocumentRequest, uuid.UUID],
) -> dict[str, Any]:
    """The deliveries table's columns for one planned message."""
    # the letter names the documents it carries, whichever they are
    context = {**message.context, "documents": [d.kind.value for d in message.documents]}
    rendered = config.catalogue.render(message.kind, message.language, context)
    return {
        "id": message.delivery_id,
        "event_id": message.source_event_id,
        "event_type": event_type,
        "kind": message.kind.value,
        "contest_id": contest_id,
        "recipient": message.person.key,
        "recipient_name": message.person.name,
        "address": message.address,
        "language": message.language,
        "channel": message.channel,
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "document_ids": [str(document_ids[d]) for d in message.documents],
        "status": "pending",
        "attempts": 0,
        "last_attempt_at": None,
        "next_attempt_at": None,
        "claimed_by": None,
        "claimed_until": None,
        "last_error": None,
        "provider_id": None,
        "created_at": now,
        "sent_at": None,
    }


async def _issue_documents(
    session: AsyncSession,
    config: FanOutConfig,
    view: ContestView,
    messages: Sequence[PlannedMessage],
    issued_on: date,
) -> dict[DocumentRequest, uuid.UUID]:
    """One row per document (several channels share it); the PDF is drawn later, when sending.
    Returns each requested document's id (a name-based UUID: worth computing once per request)."""
    ids: dict[DocumentRequest, uuid.UUID] = {}
    wanted: dict[uuid.UUID, tuple[PlannedMessage, DocumentRequest]] = {}
    for message in messages:
        for request in message.documents:
            if request not in ids:
                ids[request] = document_id_for(request)
                wanted.setdefault(ids[request], (message, request))
    if not wanted:
        return ids
    existing = await _existing_documents(session, list(wanted))
    organisers = tuple(o.name for o in view.organisers)
    now = datetime.now(UTC)
    new: list[dict[str, Any]] = []
    for document_id, (message, request) in wanted.items():
        if document_id in existing:
            continue
        fields = document_fields(
            request,
            view,
            document_id=document_id,
            issued_on=issued_on,
            organisers=organisers,
            city=config.city,
            language=message.language,
        )
        new.append(_document_row(fields, config.signing_key, view.contest_id, request, now))
    if new:
        await session.execute(insert(DOCUMENTS), new)
    return ids


def _document_row(
    fields: DocumentFields, key: bytes, contest_id: uuid.UUID, request: DocumentRequest, now: datetime
) -> dict[str, Any]:
    """The documents table's columns for one document."""
    return {
        "document_id": fields.document_id,
        "code": normalise_code(verification_code(fields, key)),
        "kind": fields.kind.value,
        "contest_id": contest_id,
        "entry_id": request.entry_id,
        "person_key": request.person_key,
        "fields": fields_to_json(fields),
        "path": None,
        "issued_at": now,
    }


async def _existing_documents(session: AsyncSession, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(DOCUMENTS.c.document_id).where(DOCUMENTS.c.document_id.in_(ids[start : start + 500]))
        )
        found |= set(rows.scalars())
    return found


def decided_at(event: Event | JurorReminderDue) -> datetime:
    """When the decision a document records was taken: the contest's finish, a stage's close, the
    jury's declaration; the event's own moment for anything else (documents come with none)."""
    for name in ("finished_at", "closed_at", "declared_at"):
        moment = getattr(event, name, None)
        if isinstance(moment, datetime):
            return moment
    return datetime.now(UTC)


def _local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()
