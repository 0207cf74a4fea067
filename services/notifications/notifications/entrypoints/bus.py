"""The events notifications consumes: each updates the copies, then fans out its messages."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from kaleidoscope_shared import contracts
from kaleidoscope_shared.bus.consumer import EventContext, Handler
from kaleidoscope_shared.contracts import (
    ContestAmended,
    ContestAnnounced,
    ContestFinished,
    EntrySubmitted,
    EntryUpdated,
    EntryWithdrawn,
    Event,
    JurorAssigned,
    JurorLinkReissued,
    StageClosed,
    StageOpened,
    SubmissionsClosed,
    WinnerDeclared,
)
from kaleidoscope_shared.sealing import seal

from ..domain import ContestView, JurorReminderDue
from ..domain.kinds import language_or_default
from ..service_layer import copies
from ..service_layer.fanout import FanOutConfig, fan_out

E = TypeVar("E", bound=Event)
ViewOf = Callable[[AsyncSession, Any], Awaitable[ContestView]]

VIEWS: dict[type[Event], ViewOf] = {
    ContestAnnounced: copies.record_contest,
    ContestAmended: copies.record_amendment,
    EntrySubmitted: copies.record_entry,
    EntryUpdated: copies.record_entry,
    EntryWithdrawn: copies.record_withdrawal,
    SubmissionsClosed: copies.view_for_closing,
    StageOpened: copies.view_for_stage,
    JurorAssigned: copies.view_for_stage,
    JurorLinkReissued: copies.view_for_juror_link,
    StageClosed: copies.record_stage_closed,
    WinnerDeclared: copies.record_winners,
    ContestFinished: copies.view_for_finish,
}


def build_handlers(config: FanOutConfig) -> dict[type[Event], Handler]:
    """One handler per consumed event: apply it to the copies, then stage the messages it calls for
    (judging's JurorReminderDue through the domain's reminder)."""

    def handler_for(view_of: ViewOf) -> Handler:
        async def handle(ctx: EventContext, event: Event) -> None:
            event = links_sealed(event, config.link_key)
            view = await view_of(ctx.session, event)
            await ctx.session.flush()
            await fan_out(
                ctx.session, config, ctx.envelope.event_id, event, view, event_type=ctx.envelope.type
            )

        return handle

    async def remind(ctx: EventContext, event: Any) -> None:
        event = links_sealed(event, config.link_key)
        view = await copies.view_for_reminder(ctx.session, event)
        reminder = reminder_from(ctx.envelope.event_id, event)
        await fan_out(
            ctx.session, config, ctx.envelope.event_id, reminder, view, event_type=ctx.envelope.type
        )

    handlers = {event_type: handler_for(view_of) for event_type, view_of in VIEWS.items()}
    handlers[contracts.JurorReminderDue] = remind
    return handlers


def reminder_from(event_id: uuid.UUID, event: Any) -> JurorReminderDue:
    """The planner's reminder from judging's event (same facts, the event id as the reminder's)."""
    return JurorReminderDue(
        reminder_id=event_id,
        juror_id=event.juror_id,
        juror_name=event.juror_name,
        juror_email=str(event.juror_email) if event.juror_email else None,
        stage_name=event.stage_name,
        deadline=event.deadline,
        pending_entry_ids=tuple(event.missing_entry_ids),
        language=language_or_default(event.language),
        personal_link=getattr(event, "sealed_personal_link", None),
    )


def links_sealed(event: E, link_key: str) -> E:
    """`event` with its private or personal link sealed: an event written before links were sealed
    carries it in clear (`private_link` / `personal_link`), and it is used, but never kept, in clear."""
    clear_field, sealed_field = _LINK_FIELDS.get(type(event).__name__, (None, None))
    if clear_field is None or sealed_field is None:
        return event
    clear = getattr(event, clear_field, None)
    if not clear:
        return event
    sealed = getattr(event, sealed_field, None) or seal(clear, link_key)
    return event.model_copy(update={clear_field: None, sealed_field: sealed})


_LINK_FIELDS = {
    "EntrySubmitted": ("private_link", "sealed_private_link"),
    "JurorAssigned": ("personal_link", "sealed_personal_link"),
    "JurorReminderDue": ("personal_link", "sealed_personal_link"),
}
