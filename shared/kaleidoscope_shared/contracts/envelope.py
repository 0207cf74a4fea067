"""The envelope every event travels in, and the base class of every event's payload.

An event class declares its wire name and major version; the envelope carries the ids that make
delivery idempotent (`event_id`) and traceable (`correlation_id`, `causation_id`; with tracing on, the
W3C `traceparent` of the span that staged it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_NAMESPACE = "kaleidoscope"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of every event payload. Subclasses set `event_type` and `version` (the major version).

    Payloads ignore fields they do not know, so that a producer may add fields (an additive change)
    without breaking consumers that read only the fields they need.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def stream(cls, namespace: str = DEFAULT_NAMESPACE) -> str:
        return stream_name(cls.event_type, cls.version, namespace)


def stream_name(event_type: str, version: int, namespace: str = DEFAULT_NAMESPACE) -> str:
    """`kaleidoscope.<event-name>.v<major>`: one stream per event type and major version."""
    return f"{namespace}.{event_type}.v{version}"


class Envelope(BaseModel):
    """What goes on the bus: the event's payload wrapped with its identity and lineage."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int
    occurred_at: datetime = Field(default_factory=utcnow)
    producer: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    contest_id: uuid.UUID | None = None
    payload: dict[str, Any]
    traceparent: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="W3C trace context (`00-<trace id>-<span id>-<flags>`) of the span that staged the "
        "event, present only when its producer traces: its consumers' spans join the same trace. Never "
        "validated beyond being a string: a malformed one only starts a new trace.",
    )

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        producer: str,
        contest_id: uuid.UUID | None = None,
        correlation_id: uuid.UUID | None = None,
        causation: Envelope | None = None,
        traceparent: str | None = None,
    ) -> Self:
        """Wrap a payload. An event caused by another inherits its correlation id."""
        event_id = uuid.uuid4()
        if correlation_id is None:
            correlation_id = causation.correlation_id if causation else event_id
        return cls(
            event_id=event_id,
            type=event.event_type,
            version=event.version,
            producer=producer,
            correlation_id=correlation_id,
            causation_id=causation.event_id if causation else None,
            contest_id=contest_id,
            payload=event.model_dump(mode="json"),
            traceparent=traceparent,
        )

    def stream(self, namespace: str = DEFAULT_NAMESPACE) -> str:
        return stream_name(self.type, self.version, namespace)
