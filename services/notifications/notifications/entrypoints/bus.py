"""The events notifications consumes, each mapped to its use case."""

from __future__ import annotations

from kaleidoscope_shared.bus.consumer import EventContext, Handler
from kaleidoscope_shared.contracts import EntrySubmitted, Event

from ..service_layer.plan import entry_received_deliveries


def build_handlers(channel: str) -> dict[type[Event], Handler]:
    async def entry_received(ctx: EventContext, event: EntrySubmitted) -> None:
        ctx.session.add_all(entry_received_deliveries(ctx, event, channel))

    return {EntrySubmitted: entry_received}
