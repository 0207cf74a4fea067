"""The worker's deadline scheduler: closes each contest's submissions when its deadline comes.

Safe with any number of workers: closing is a conditional UPDATE (published → submissions_closed),
so exactly one worker emits SubmissionsClosed; the others find the contest already closed.
"""

from __future__ import annotations

from kaleidoscope_shared.observability.logging import get_logger
from kaleidoscope_shared.worker import BackgroundLoop, every

from ..service_layer.contests import close_due_submissions
from ..service_layer.context import SubmissionsContext

log = get_logger(__name__)


def deadline_scheduler(ctx: SubmissionsContext, interval_s: float) -> BackgroundLoop:
    """A background loop for `run_worker`: close due contests every `interval_s` until stopped."""

    async def close_due() -> None:
        for closure in await close_due_submissions(ctx):
            log.info(
                "submissions.closed_at_deadline",
                contest_id=str(closure.contest_id),
                entries=len(closure.entries),
            )

    return every(interval_s, close_due, name="submissions.deadline_scheduler")
