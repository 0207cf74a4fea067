"""Uploading an attachment: counted while it streams, typed by its content, stored with its checksum;
and deleting the files no entry lists.

Anyone may upload while a contest's window is open, before the entry that lists the file. Until an
entry lists it a file is pending, and pending files are bounded: per client address and per contest
(count and bytes, `UploadLimits`), and uploads per address per minute (`UploadRate`). The quotas are
checked from the declared size before the body is read, and again with the stored size in the
transaction that records the file, one upload of a contest at a time, so that concurrent uploads
cannot pass them together. A pending file is deleted, row and bytes, once no entry has listed it for
the grace period.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterable
from datetime import UTC, datetime

import anyio.to_thread

from ..adapters.content_types import require_allowed_media_type
from ..adapters.storage import iter_file
from ..adapters.tables import AttachmentRow
from ..domain.clock import now_utc
from ..domain.entry import AttachmentRef
from ..domain.errors import AttachmentTooLarge
from ..domain.rules import check_window_open
from .contests import get_contest
from .context import SubmissionsContext, UploadLimits
from .errors import ContestUploadsFull, PendingUploadsQuotaReached, TooManyUploads
from .ports import PendingUploads

SPOOL_IN_MEMORY_BYTES = 1024 * 1024
SWEEP_BATCH = 500


async def upload_attachment(
    ctx: SubmissionsContext,
    contest_id: uuid.UUID,
    *,
    client: str,
    filename: str,
    declared_type: str | None,
    declared_size: int | None,
    chunks: AsyncIterable[bytes],
) -> AttachmentRef:
    """Store one file from `client` (its address, see `adapters.client_address`) for an entry of the
    contest. 429 past the upload rate or the client's quota of pending files, 409 past the contest's;
    413 as soon as it passes the contest's size limit (before reading anything when the declared size
    already does), 415 unless its content is allowed."""
    if ctx.upload_rate is not None and (wait_s := await ctx.upload_rate.take(client)) is not None:
        raise TooManyUploads(ctx.upload_rate.limit, ctx.upload_rate.window_s, wait_s)
    contest = await get_contest(ctx, contest_id)
    check_window_open(contest, now_utc(ctx.clock), "upload an attachment")
    rules = contest.rules.attachments
    if declared_size is not None and declared_size > rules.max_size_bytes:
        raise AttachmentTooLarge(rules.max_size_bytes)
    async with ctx.unit_of_work() as uow:
        _check_quotas(
            ctx.uploads, await uow.repository.pending_uploads(contest_id, client), declared_size or 0
        )
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spooled:
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > rules.max_size_bytes:
                raise AttachmentTooLarge(rules.max_size_bytes)
            await anyio.to_thread.run_sync(spooled.write, chunk)
        media_type = require_allowed_media_type(spooled, rules.allowed_media_types, declared=declared_type)  # type: ignore[arg-type]
        stored = await ctx.storage.save(iter_file(spooled), max_bytes=rules.max_size_bytes)  # type: ignore[arg-type]
    now = datetime.now(UTC)
    row = AttachmentRow(
        key=stored.key,
        contest_id=contest_id,
        filename=filename,
        media_type=media_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        uploaded_at=now,
        uploaded_by=client,
        unreferenced_since=now,
    )
    try:
        async with ctx.unit_of_work() as uow:
            await uow.repository.lock_pending_uploads(contest_id)
            _check_quotas(
                ctx.uploads, await uow.repository.pending_uploads(contest_id, client), row.size_bytes
            )
            await uow.repository.add_attachment(row)
    except BaseException:
        await ctx.storage.delete(stored.key)
        raise
    return AttachmentRef(
        key=row.key, filename=filename, media_type=media_type, size_bytes=row.size_bytes, sha256=row.sha256
    )


def _check_quotas(limits: UploadLimits, pending: PendingUploads, incoming_bytes: int) -> None:
    """Refuse one more file of `incoming_bytes` if it would pass the client's or the contest's quota."""
    hours = limits.grace_period.total_seconds() / 3600
    if (
        pending.client_files + 1 > limits.files_per_client
        or pending.client_bytes + incoming_bytes > limits.bytes_per_client
    ):
        raise PendingUploadsQuotaReached(limits.files_per_client, limits.bytes_per_client, hours)
    if (
        pending.contest_files + 1 > limits.files_per_contest
        or pending.contest_bytes + incoming_bytes > limits.bytes_per_contest
    ):
        raise ContestUploadsFull(hours)


async def sweep_unreferenced_uploads(ctx: SubmissionsContext, *, now: datetime | None = None) -> list[str]:
    """Delete every file no entry has listed for the grace period: its row, then its bytes; the keys.

    A row is deleted only if it is still unlisted as the DELETE reaches it, so a file an entry claims
    meanwhile is kept; the bytes go once that deletion is committed, when no entry can list it."""
    cutoff = (now or datetime.now(UTC)) - ctx.uploads.grace_period
    swept: list[str] = []
    while True:
        async with ctx.unit_of_work() as uow:
            keys = await uow.repository.unreferenced_uploads(cutoff, SWEEP_BATCH)
            deleted = await uow.repository.delete_unreferenced_uploads(keys, cutoff)
        for key in deleted:
            await ctx.storage.delete(key)
        swept += deleted
        if len(keys) < SWEEP_BATCH:
            return swept
