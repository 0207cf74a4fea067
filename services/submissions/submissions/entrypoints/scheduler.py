"""The worker's deadline scheduler: closes each contest's submissions when its deadline comes.

Safe with any number of workers: closing is a conditional UPDATE (published → submissions_closed),
so exactly one worker emits SubmissionsClosed; the others find the contest already closed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from kaleidoscope_shared.observability.logging import get_logger

from ..service_layer.contests import close_due_submissions
from ..service_layer.context import SubmissionsContext

log = get_logger(__name__)


def deadline_scheduler(
    ctx: SubmissionsContext, interval_s: float
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """A background loop for `run_worker`: one tick every `interval_s` until `stop` is set."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                for closure in await close_due_submissions(ctx):
                    log.info(
                        "submissions.closed_at_deadline",
                        contest_id=str(closure.contest_id),
                        entries=len(closure.entries),
                    )
            except Exception:
                log.exception("submissions.deadline_scheduler_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)

    return run
