"""Uploading an attachment: counted while it streams, typed by its content, stored with its checksum."""

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
from .context import SubmissionsContext

SPOOL_IN_MEMORY_BYTES = 1024 * 1024


async def upload_attachment(
    ctx: SubmissionsContext,
    contest_id: uuid.UUID,
    *,
    filename: str,
    declared_type: str | None,
    declared_size: int | None,
    chunks: AsyncIterable[bytes],
) -> AttachmentRef:
    """Store one file for an entry of the contest; 413 as soon as it passes the contest's limit
    (before reading anything when the declared size already does), 415 unless its content is allowed."""
    contest = await get_contest(ctx, contest_id)
    check_window_open(contest, now_utc(ctx.clock), "upload an attachment")
    rules = contest.rules.attachments
    if declared_size is not None and declared_size > rules.max_size_bytes:
        raise AttachmentTooLarge(rules.max_size_bytes)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spooled:
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > rules.max_size_bytes:
                raise AttachmentTooLarge(rules.max_size_bytes)
            await anyio.to_thread.run_sync(spooled.write, chunk)
        media_type = require_allowed_media_type(spooled, rules.allowed_media_types, declared=declared_type)  # type: ignore[arg-type]
        stored = await ctx.storage.save(iter_file(spooled), max_bytes=rules.max_size_bytes)  # type: ignore[arg-type]
    row = AttachmentRow(
        key=stored.key,
        contest_id=contest_id,
        filename=filename,
        media_type=media_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        uploaded_at=datetime.now(UTC),
    )
    async with ctx.unit_of_work() as uow:
        await uow.repository.add_attachment(row)
    return AttachmentRef(
        key=row.key, filename=filename, media_type=media_type, size_bytes=row.size_bytes, sha256=row.sha256
    )
