"""The events submissions consumes: judging's decisions, shown to each entry's participant and, once
the contest is finished, to the public."""

from __future__ import annotations

from kaleidoscope_shared.bus.consumer import EventContext, Handler
from kaleidoscope_shared.contracts import ContestFinished, Event, StageClosed, WinnerDeclared

from ..adapters.repository import SqlRepository
from ..service_layer.progress import record_contest_finished, record_stage_closed, record_winner_declared


async def on_stage_closed(ctx: EventContext, event: StageClosed) -> None:
    await record_stage_closed(SqlRepository(ctx.session), event)


async def on_winner_declared(ctx: EventContext, event: WinnerDeclared) -> None:
    await record_winner_declared(SqlRepository(ctx.session), event)


async def on_contest_finished(ctx: EventContext, event: ContestFinished) -> None:
    await record_contest_finished(SqlRepository(ctx.session), event)


HANDLERS: dict[type[Event], Handler] = {
    StageClosed: on_stage_closed,
    WinnerDeclared: on_winner_declared,
    ContestFinished: on_contest_finished,
}
