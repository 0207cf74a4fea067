"""Who hears what: turning an event into delivery rows (one per recipient and channel).

Rows are written in the consumer's transaction, so a redelivered event finds them already there and
adds none; the dispatcher sends them afterwards.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kaleidoscope_shared.bus.consumer import EventContext
from kaleidoscope_shared.contracts import EntrySubmitted

from ..adapters.tables import DeliveryRow


def entry_received_deliveries(ctx: EventContext, event: EntrySubmitted, channel: str) -> list[DeliveryRow]:
    now = datetime.now(UTC)
    return [
        DeliveryRow(
            id=uuid.uuid4(),
            event_id=ctx.envelope.event_id,
            event_type=ctx.envelope.type,
            contest_id=event.contest_id,
            recipient=str(author.email),
            channel=channel,
            subject=f"Заявка «{event.title}» получена",
            body=(
                f"Здравствуйте, {author.full_name}!\n\n"
                f"Ваша конкурсная работа «{event.title}» принята (номинация {event.nomination_code})."
                + (f"\nПросмотр и изменение заявки: {event.private_link}" if event.private_link else "")
            ),
            created_at=now,
        )
        for author in event.authors
        if author.email
    ]
