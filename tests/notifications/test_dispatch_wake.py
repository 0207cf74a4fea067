"""The dispatcher sends what the worker's consumer has just recorded without waiting for its poll: the
consumer's commit wakes it (runtime.events_applied)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from service_kit import (
    ZAVODISKER,
    consumer_for,
    contest_announced,
    deliver,
    entry_submitted,
    open_service,
    settings_for,
    wrap,
)
from sqlmodel import select

from notifications.adapters.tables import DeliveryRow
from notifications.channels.file import FileChannel
from tests.polling import eventually


async def test_deliveries_recorded_by_the_consumer_are_sent_at_once_not_at_the_next_poll(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    service = await open_service(settings_for(database_url, redis_url, namespace, tmp_path))
    dispatcher = service.dispatcher({"file": FileChannel({"path": tmp_path / "messages"})})
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop, 30.0, woken=service.runtime.events_applied))

    async def all_sent() -> bool:
        async with service.runtime.sessions() as session:
            found = list((await session.execute(select(DeliveryRow.status))).scalars())
        return bool(found) and set(found) == {"sent"}

    try:
        await asyncio.sleep(0.3)  # its first round found nothing; the next poll is 30 s away
        contest, entry = uuid.uuid4(), uuid.uuid4()
        started = time.monotonic()
        await deliver(
            consumer_for(service),
            namespace,
            wrap(contest_announced(contest)),
            wrap(entry_submitted(contest, entry, authors=[ZAVODISKER])),
        )
        await eventually(all_sent, 10, what="the recorded deliveries sent")
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        await running
        await service.runtime.close()
