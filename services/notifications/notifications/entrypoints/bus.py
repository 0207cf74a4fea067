"""The events notifications consumes: each updates the copies, then fans out its messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaleidoscope_shared.bus.consumer import EventContext, Handler
from kaleidoscope_shared.contracts import (
    ContestAnnounced,
    ContestFinished,
    EntrySubmitted,
    EntryUpdated,
    EntryWithdrawn,
    Event,
    JurorAssigned,
    StageClosed,
    StageOpened,
    SubmissionsClosed,
    WinnerDeclared,
)

from ..domain import ContestView
from ..service_layer import copies
from ..service_layer.fanout import FanOutConfig, fan_out

ViewOf = Callable[[AsyncSession, Any], Awaitable[ContestView]]

VIEWS: dict[type[Event], ViewOf] = {
    ContestAnnounced: copies.record_contest,
    EntrySubmitted: copies.record_entry,
    EntryUpdated: copies.record_entry,
    EntryWithdrawn: copies.record_withdrawal,
    SubmissionsClosed: copies.view_for_closing,
    StageOpened: copies.view_for_stage,
    JurorAssigned: copies.view_for_stage,
    StageClosed: copies.record_stage_closed,
    WinnerDeclared: copies.record_winners,
    ContestFinished: copies.view_for_finish,
}


def build_handlers(config: FanOutConfig) -> dict[type[Event], Handler]:
    """One handler per consumed event: apply it to the copies, then stage the messages it calls for."""

    def handler_for(view_of: ViewOf) -> Handler:
        async def handle(ctx: EventContext, event: Event) -> None:
            view = await view_of(ctx.session, event)
            await ctx.session.flush()
            await fan_out(
                ctx.session, config, ctx.envelope.event_id, event, view, event_type=ctx.envelope.type
            )

        return handle

    return {event_type: handler_for(view_of) for event_type, view_of in VIEWS.items()}
