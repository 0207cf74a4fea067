"""Routes of a final's public defence: running order, the entry defending, the hall's live scoreboard."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from kaleidoscope_shared.http.openapi import problems
from kaleidoscope_shared.observability.metrics import SCOREBOARD_VIEWERS
from kaleidoscope_shared.runtime import ServiceRuntime

from ..service_layer import final
from ..service_layer.commands import SetRunningOrder, StartDefence
from ..service_layer.scoreboard_feed import ScoreboardFeed
from .access import OrganiserOnly, RuntimeDep
from .schemas import FinalOfContest, StagePublic
from .stage_routes import stage_public

router = APIRouter(
    tags=["final"],
    responses=problems(_409="Not possible in the final's state (not open, no defence running)."),
)
KEEP_ALIVE_S = 15.0


@router.put(
    "/contests/{contest_id}/stages/{stage_id}/running-order",
    response_model=StagePublic,
    dependencies=OrganiserOnly,
)
async def set_running_order(
    contest_id: uuid.UUID, stage_id: uuid.UUID, command: SetRunningOrder, runtime: RuntimeDep
) -> StagePublic:
    """The order the finalists defend in."""
    return stage_public(await final.set_running_order(runtime, contest_id, stage_id, command.entry_ids))


@router.post(
    "/contests/{contest_id}/stages/{stage_id}/defence/start",
    response_model=StagePublic,
    dependencies=OrganiserOnly,
)
async def start_defence(
    contest_id: uuid.UUID, stage_id: uuid.UUID, command: StartDefence, runtime: RuntimeDep
) -> StagePublic:
    """The entry now defending before the jury (jurors may score it from now on)."""
    return stage_public(await final.start_defence(runtime, contest_id, stage_id, command.entry_id))


@router.post(
    "/contests/{contest_id}/stages/{stage_id}/defence/end",
    response_model=StagePublic,
    dependencies=OrganiserOnly,
)
async def end_defence(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> StagePublic:
    """The current defence ends; its scores appear on the scoreboard."""
    return stage_public(await final.end_defence(runtime, contest_id, stage_id))


@router.get("/contests/{contest_id}/final", response_model=FinalOfContest)
async def final_of_contest(contest_id: uuid.UUID, runtime: RuntimeDep) -> FinalOfContest:
    """The contest's final (404 until one is declared): how a hall screen finds its scoreboard."""
    row = await final.final_of(runtime, contest_id)
    return FinalOfContest(stage_id=row.id, name=row.name, status=row.status)


@router.get("/contests/{contest_id}/stages/{stage_id}/scoreboard")
async def scoreboard(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> dict[str, Any]:
    """The final's scoreboard now: running order (each line with its nomination and title), who
    defends, scores of ended defences only, and each finalist's place once the final has closed."""
    return await final.scoreboard(runtime, contest_id, stage_id)


@router.get("/contests/{contest_id}/stages/{stage_id}/scoreboard/stream", response_class=StreamingResponse)
async def scoreboard_stream(
    contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep, request: Request
) -> StreamingResponse:
    """Server-Sent Events for the hall screen: a `scoreboard` event whenever it changes, until the
    final closes. However many screens watch, the process reads the board once per poll."""
    first = await final.scoreboard(runtime, contest_id, stage_id)  # 404 before the stream starts
    boards = _feed(request, runtime).boards(contest_id, stage_id, first, keep_alive_s=KEEP_ALIVE_S)
    return StreamingResponse(_events(boards), media_type="text/event-stream")


def _feed(request: Request, runtime: ServiceRuntime) -> ScoreboardFeed:
    """The app's one feed (made on first use)."""
    feed: ScoreboardFeed | None = getattr(request.app.state, "scoreboards", None)
    if feed is None:
        poll = float(getattr(runtime.settings, "scoreboard_poll_s", 0.5))
        feed = request.app.state.scoreboards = ScoreboardFeed(
            lambda contest_id, stage_id: final.scoreboard(runtime, contest_id, stage_id), poll
        )
    return feed


async def _events(boards: AsyncIterator[dict[str, Any] | None]) -> AsyncIterator[str]:
    SCOREBOARD_VIEWERS.inc()
    try:
        async for board in boards:
            if board is None:
                yield ": keep-alive\n\n"
            else:
                yield f"event: scoreboard\ndata: {json.dumps(board, ensure_ascii=False, sort_keys=True)}\n\n"
    finally:
        SCOREBOARD_VIEWERS.dec()
