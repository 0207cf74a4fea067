"""A tiny service for bus tests: its handler records every application of an event, duplicates included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from kaleidoscope_shared.bus.consumer import EventContext, Handler
from kaleidoscope_shared.contracts import Author, EntrySubmitted, Event
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.settings import ServiceSettings

POISON = "poison"


def probe_metadata() -> tuple[MetaData, Table]:
    metadata = MetaData()
    applied = Table(
        "applied",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False),  # deliberately not unique: duplicates would show
        Column("title", String(200), nullable=False),
    )
    return metadata, applied


def probe_runtime(
    database_url: str, redis_url: str, namespace: str, **overrides: object
) -> tuple[ServiceRuntime, Table]:
    metadata, applied = probe_metadata()
    settings = ServiceSettings(
        service_name="probe",
        database_url=database_url,
        redis_url=redis_url,
        bus_namespace=namespace,
        **overrides,  # type: ignore[arg-type]
    )
    return ServiceRuntime.build(settings, metadata), applied


def probe_handlers(applied: Table) -> dict[type[Event], Handler]:
    async def record(ctx: EventContext, event: EntrySubmitted) -> None:
        if event.title.startswith(POISON):
            raise RuntimeError(f"cannot apply {event.title}")
        await ctx.session.execute(
            applied.insert().values(event_id=str(ctx.envelope.event_id), title=event.title)
        )

    return {EntrySubmitted: record}


def entry(title: str) -> EntrySubmitted:
    return EntrySubmitted(
        entry_id=uuid.uuid4(),
        contest_id=uuid.uuid4(),
        revision=1,
        nomination_code="service-guide",
        title=title,
        authors=[Author(full_name="Иванова Анна", territory_code="belovo")],
        submitted_at=datetime.now(UTC),
    )


async def applications(runtime: ServiceRuntime, applied: Table) -> dict[str, int]:
    """event_id → how many times the handler's effect was committed."""
    async with runtime.sessions() as session:
        rows = await session.execute(select(applied.c.event_id, func.count()).group_by(applied.c.event_id))
        return {event_id: count for event_id, count in rows}
