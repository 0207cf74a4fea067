"""Sending pending deliveries through their channel, outside the consumer's transaction."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from kaleidoscope_shared.bus.stopping import sleep_or_stop
from kaleidoscope_shared.observability.logging import get_logger
from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import DeliveryRow

log = get_logger(__name__)


async def dispatch_pending(runtime: ServiceRuntime, folder: Path, limit: int = 200) -> int:
    """Write pending deliveries to `folder` (one file per delivery id: a retry overwrites, never adds)."""
    async with runtime.sessions() as session, session.begin():
        rows = list(
            (
                await session.execute(select(DeliveryRow).where(DeliveryRow.status == "pending").limit(limit))
            ).scalars()
        )
        await asyncio.to_thread(_write_messages, folder, rows)
        for row in rows:
            row.status, row.attempts, row.sent_at = "sent", row.attempts + 1, datetime.now(UTC)
    return len(rows)


def _write_messages(folder: Path, rows: list[DeliveryRow]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for row in rows:
        message = {
            "to": row.recipient,
            "subject": row.subject,
            "body": row.body,
            "event_id": str(row.event_id),
        }
        (folder / f"{row.id}.json").write_text(json.dumps(message, ensure_ascii=False, indent=2))


def dispatcher(runtime: ServiceRuntime, folder: Path, interval_s: float):  # type: ignore[no-untyped-def]
    async def loop(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                sent = await dispatch_pending(runtime, folder)
            except Exception:
                log.exception("dispatch.failed")
                sent = 0
            if not sent:
                await sleep_or_stop(stop, interval_s)

    return loop
