"""The AsyncAPI document of the bus, generated from the contracts (`make asyncapi` writes docs/asyncapi.json).

Each stream is described with the full envelope its messages carry, the payload typed by its event.
FastStream writes the document, and it is imported only inside `build_document`: generating the
document is its only use, so no service imports it at runtime (tests/shared/test_runtime_imports.py).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, create_model

from .envelope import Envelope, Event
from .registry import ALL_EVENTS

PRODUCERS: dict[str, str] = {
    "contest-announced": "submissions",
    "contest-amended": "submissions",
    "entry-submitted": "submissions",
    "entry-updated": "submissions",
    "entry-withdrawn": "submissions",
    "submissions-closed": "submissions",
    "stage-opened": "judging",
    "juror-assigned": "judging",
    "stage-closed": "judging",
    "winner-declared": "judging",
    "contest-finished": "judging",
    "juror-reminder-due": "judging",
    "juror-link-reissued": "judging",
    "notification-delivered": "notifications",
    "notification-failed": "notifications",
}


def envelope_model(event: type[Event]) -> type[BaseModel]:
    """The envelope as it travels on `event`'s stream, with its payload typed."""
    return create_model(
        f"{event.__name__}Envelope",
        __doc__=event.__doc__,
        event_id=(uuid.UUID, ...),
        type=(str, event.event_type),
        version=(int, event.version),
        occurred_at=(datetime, ...),
        producer=(str, PRODUCERS[event.event_type]),
        correlation_id=(uuid.UUID, ...),
        causation_id=(uuid.UUID | None, None),
        contest_id=(uuid.UUID | None, None),
        payload=(event, ...),
        traceparent=(str | None, Envelope.model_fields["traceparent"]),
    )


def build_document() -> dict[str, Any]:
    from faststream.redis import RedisBroker
    from faststream.specification import AsyncAPI

    broker = RedisBroker()
    for event in ALL_EVENTS:
        broker.publisher(
            stream=event.stream(),
            schema=envelope_model(event),
            title=event.stream(),
            description=f"{(event.__doc__ or '').strip()} Published by {PRODUCERS[event.event_type]}; "
            'each message has one field, "envelope", holding this JSON.',
        )
    spec = AsyncAPI(broker, title="Kaleidoscope event bus", version="1.0.0", schema_version="3.0.0")
    return json.loads(spec.to_specification().to_json())  # type: ignore[no-any-return]


if __name__ == "__main__":
    print(json.dumps(build_document(), indent=2, ensure_ascii=False, sort_keys=True))
