"""The worker's loops: the deadline scheduler, which closes each contest's submissions when its
deadline comes, and the sweeper of uploaded files no entry lists.

Safe with any number of workers: closing is a conditional UPDATE (published → submissions_closed),
so exactly one worker emits SubmissionsClosed; the others find the contest already closed.
"""

from __future__ import annotations

from prometheus_client import Counter

from kaleidoscope_shared.observability.logging import get_logger
from kaleidoscope_shared.worker import BackgroundLoop, every

from ..service_layer.attachments import sweep_unreferenced_uploads
from ..service_layer.contests import close_due_submissions
from ..service_layer.context import SubmissionsContext

log = get_logger(__name__)

UPLOADS_SWEPT = Counter(
    "kaleidoscope_uploads_swept_total",
    "Uploaded files deleted because no entry listed them for the grace period",
)


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


def upload_sweeper(ctx: SubmissionsContext, interval_s: float) -> BackgroundLoop:
    """A background loop for `run_worker`: every `interval_s`, delete the uploaded files that no entry
    has listed for the grace period. Safe with any number of workers: each row is deleted once."""

    async def sweep() -> None:
        swept = await sweep_unreferenced_uploads(ctx)
        if swept:
            UPLOADS_SWEPT.inc(len(swept))
            log.info(
                "submissions.uploads_swept",
                files=len(swept),
                grace_period_s=ctx.uploads.grace_period.total_seconds(),
            )

    return every(interval_s, sweep, name="submissions.upload_sweeper")
