"""Writing events to the outbox, in the same transaction as the change that caused them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from ..contracts import DEFAULT_NAMESPACE, Envelope, Event
from ..observability import tracing
from .nudge import OutboxNudge
from .tables import OUTBOX_PENDING, BusTables


def _current_correlation_id() -> uuid.UUID | None:
    bound = structlog.contextvars.get_contextvars().get("correlation_id")
    try:
        return uuid.UUID(str(bound)) if bound else None
    except ValueError:
        return None


class Outbox:
    """Adds events to a service's outbox table; the relay publishes them after commit. With a `nudge`,
    the transaction that wrote them wakes the relays once it commits (`nudge.py`)."""

    def __init__(
        self,
        tables: BusTables,
        producer: str,
        namespace: str = DEFAULT_NAMESPACE,
        *,
        nudge: OutboxNudge | None = None,
    ) -> None:
        self._insert = tables.outbox.insert()  # built once: its cache key is then computed once
        self.producer = producer
        self.namespace = namespace
        self.nudge = nudge

    async def add(
        self,
        session: AsyncSession,
        event: Event,
        *,
        contest_id: uuid.UUID | None = None,
        correlation_id: uuid.UUID | None = None,
        causation: Envelope | None = None,
    ) -> Envelope:
        """Stage `event` for publishing; it becomes visible to the relay when `session` commits.

        Without an explicit correlation id or cause, the request's correlation id (bound by the HTTP
        middleware) is used, so that one request's events can be followed across services. With
        tracing on, the envelope carries the current span's `traceparent`.
        """
        [envelope] = await self.add_all(
            session, [event], contest_id=contest_id, correlation_id=correlation_id, causation=causation
        )
        return envelope

    async def add_all(
        self,
        session: AsyncSession,
        events: Iterable[Event],
        *,
        contest_id: uuid.UUID | None = None,
        correlation_id: uuid.UUID | None = None,
        causation: Envelope | None = None,
    ) -> list[Envelope]:
        """Stage several events, in order, with one INSERT (see `add`)."""
        if correlation_id is None and causation is None:
            correlation_id = _current_correlation_id()
        traceparent = tracing.current_traceparent()
        envelopes = [
            Envelope.wrap(
                event,
                producer=self.producer,
                contest_id=contest_id,
                correlation_id=correlation_id,
                causation=causation,
                traceparent=traceparent,
            )
            for event in events
        ]
        await self.add_envelopes(session, envelopes)
        return envelopes

    async def add_envelopes(self, session: AsyncSession, envelopes: list[Envelope]) -> None:
        if not envelopes:
            return
        now = datetime.now(UTC)
        connection = await session.connection()  # a Core insert: no ORM work per statement
        await connection.execute(
            self._insert,
            [
                {
                    "event_id": str(envelope.event_id),
                    "stream": envelope.stream(self.namespace),
                    "envelope": envelope.model_dump_json(),
                    "status": OUTBOX_PENDING,
                    "attempts": 0,
                    "created_at": now,
                }
                for envelope in envelopes
            ],
        )
        if self.nudge is not None:
            self.nudge.after_commit_of(session)
