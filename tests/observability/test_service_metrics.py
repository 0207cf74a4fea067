"""The services' own metric families: notifications' deliveries by channel and status and the time to draw
each kind of document; judging's scoreboard viewers. Real Redis, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from prometheus_client import REGISTRY
from sqlmodel import select

sys.path.insert(0, str(Path(__file__).parents[1] / "notifications"))

from service_kit import (
    ZAVODISKER,
    consumer_for,
    contest_announced,
    contest_finished,
    deliver,
    entry_submitted,
    open_service,
    settings_for,
    wrap,
)

from judging.entrypoints.final_routes import _events
from judging.service_layer.scoreboard_feed import ScoreboardFeed
from notifications.adapters.document_store import fields_from_json
from notifications.adapters.tables import DocumentRow, PreferenceRow
from notifications.bootstrap import Notifications
from notifications.channels import Channel, ChannelError, DeliveryReceipt, OutgoingMessage
from notifications.channels.file import FileChannel


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class FlakyChannel(Channel):
    """Fails every send, as a mail server that is down would."""

    name = "flaky"

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        raise ChannelError("connection refused", permanent=False)


@pytest.fixture
async def service(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[Notifications]:
    service = await open_service(settings_for(database_url, redis_url, namespace, tmp_path))
    yield service
    await service.runtime.close()


def deliveries(channel: str, status: str) -> float:
    return value("kaleidoscope_deliveries_total", channel=channel, status=status)


async def test_deliveries_are_counted_by_channel_and_status(
    service: Notifications, namespace: str, tmp_path: Path
) -> None:
    async with service.runtime.sessions() as session, session.begin():
        session.add(
            PreferenceRow(
                person_key=str(ZAVODISKER.email), channels=["file", "flaky"], updated_at=datetime.now(UTC)
            )
        )
    contest = uuid.uuid4()
    await deliver(
        consumer_for(service),
        namespace,
        wrap(contest_announced(contest)),
        wrap(entry_submitted(contest, authors=[ZAVODISKER])),
    )
    before = {(c, s): deliveries(c, s) for c in ("file", "flaky") for s in ("sent", "failed", "dead")}
    dispatcher = service.dispatcher({"file": FileChannel({"path": tmp_path / "m"}), "flaky": FlakyChannel()})
    await dispatcher.dispatch_once()
    assert deliveries("file", "sent") == before["file", "sent"] + 1
    assert deliveries("flaky", "failed") == before["flaky", "failed"] + 1
    for _ in range(5):
        await dispatcher.dispatch_once()
    assert deliveries("flaky", "failed") == before["flaky", "failed"] + 2  # retry_max_attempts = 3
    assert deliveries("flaky", "dead") == before["flaky", "dead"] + 1
    assert deliveries("file", "sent") == before["file", "sent"] + 1


async def test_each_document_drawn_is_timed_by_kind_and_a_document_on_disk_is_not(
    service: Notifications, namespace: str, tmp_path: Path
) -> None:
    def drawn(kind: str) -> float:
        return value("kaleidoscope_document_render_seconds_count", kind=kind)

    def took(kind: str) -> float:
        return value("kaleidoscope_document_render_seconds_sum", kind=kind)

    kinds = ("thank_you_letter", "participant_diploma")
    before = {kind: (drawn(kind), took(kind)) for kind in kinds}
    contest, entry = uuid.uuid4(), uuid.uuid4()
    events = [contest_announced(contest), entry_submitted(contest, entry, authors=[ZAVODISKER])]
    await deliver(
        consumer_for(service),
        namespace,
        *[wrap(e) for e in events],
        wrap(contest_finished(contest, [entry], [])),
    )
    dispatcher = service.dispatcher({"file": FileChannel({"path": tmp_path / "m"})})
    for _ in range(3):
        await dispatcher.dispatch_once()
    for kind in kinds:
        assert drawn(kind) == before[kind][0] + 1, kind
        assert took(kind) > before[kind][1], kind
    # the same documents again (a resend): read from disk, not drawn, not timed
    files = service.document_files(None)
    async with service.runtime.sessions() as session:
        rows = (await session.execute(select(DocumentRow))).scalars().all()
    futures = files.ensure_all([fields_from_json(row.fields) for row in rows])
    await asyncio.gather(*set(futures.values()))
    assert {kind: drawn(kind) for kind in kinds} == {kind: before[kind][0] + 1 for kind in kinds}


async def test_scoreboard_viewers_count_the_open_streams() -> None:
    board: dict[str, Any] = {"status": "open", "defending": None, "lines": []}

    async def load(contest_id: uuid.UUID, stage_id: uuid.UUID) -> dict[str, Any]:
        return board

    feed = ScoreboardFeed(load, 0.01)
    contest, stage = uuid.uuid4(), uuid.uuid4()
    before = value("kaleidoscope_scoreboard_viewers")
    screens = [
        cast(AsyncGenerator[str, None], _events(feed.boards(contest, stage, board, keep_alive_s=0.05)))
        for _ in range(3)
    ]
    for screen in screens:
        assert (await anext(screen)).startswith("event: scoreboard")
    assert value("kaleidoscope_scoreboard_viewers") == before + 3
    await screens[0].aclose()
    assert value("kaleidoscope_scoreboard_viewers") == before + 2
    for screen in screens[1:]:
        await screen.aclose()
    assert value("kaleidoscope_scoreboard_viewers") == before
