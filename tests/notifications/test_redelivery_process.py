"""A real worker process and a real SMTP server: an event delivered again after its message was sent —
the worker killed with SIGKILL, the group rewound as if nothing had been acknowledged, the event
published a second time — sends no second message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_sync
from aiosmtpd.controller import Controller
from service_kit import ZAVODISKER, contest_announced, entry_submitted, wrap
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from test_channels_in_service import Mailbox, free_port

from notifications.adapters.tables import DeliveryRow
from tests.polling import wait_until

pytestmark = pytest.mark.slow


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "notifications", "worker"],
        env={**os.environ, **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def group_caught_up(client: redis_sync.Redis, streams: list[str]) -> bool:
    for stream in streams:
        [group] = [g for g in client.xinfo_groups(stream) if g["name"] == b"notifications"]
        if group["pending"] or group["lag"]:
            return False
    return True


def sent_rows(database_url: str) -> tuple[int, int]:
    import asyncio

    async def count() -> tuple[int, int]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as c:
                total = await c.scalar(select(func.count()).select_from(DeliveryRow.__table__))
                sent = await c.scalar(
                    select(func.count())
                    .select_from(DeliveryRow.__table__)
                    .where(DeliveryRow.status == "sent")
                )
                return int(total or 0), int(sent or 0)
        except Exception:
            return -1, -1
        finally:
            await engine.dispose()

    return asyncio.run(count())


def test_a_redelivered_event_after_a_killed_worker_sends_no_second_email(
    tmp_path: Path, redis_url: str, namespace: str
) -> None:
    mailbox, port = Mailbox(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    database_url = f"sqlite+aiosqlite:///{tmp_path}/notifications.db"
    env = {
        "NOTIFICATIONS_DATABASE_URL": database_url,
        "NOTIFICATIONS_REDIS_URL": redis_url,
        "NOTIFICATIONS_BUS_NAMESPACE": namespace,
        "NOTIFICATIONS_DATA_DIR": str(tmp_path),
        "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
        "NOTIFICATIONS_SMTP_PORT": str(port),
        "NOTIFICATIONS_SMTP_SECURITY": "plain",
        "NOTIFICATIONS_DEFAULT_CHANNELS": '["email"]',
        "NOTIFICATIONS_RECLAIM_IDLE_MS": "500",
        "NOTIFICATIONS_RECLAIM_INTERVAL_S": "0.2",
        "NOTIFICATIONS_CONSUMER_BLOCK_MS": "200",
    }
    client = redis_sync.Redis.from_url(redis_url)
    contest = uuid.uuid4()
    announced, submitted = (
        wrap(contest_announced(contest)),
        wrap(entry_submitted(contest, authors=[ZAVODISKER])),
    )
    streams = [announced.stream(namespace), submitted.stream(namespace)]
    for envelope in (announced, submitted):
        client.xadd(envelope.stream(namespace), {"envelope": envelope.model_dump_json()})
    first = start_worker(env, tmp_path / "worker-1.log")
    try:
        wait_until(lambda: len(mailbox.messages) == 1, 30, "the confirmation to reach the SMTP server")
        wait_until(lambda: sent_rows(database_url) == (1, 1), 30, "the worker to record it as sent")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        for stream in streams:  # as if the worker had died before acknowledging anything
            client.xgroup_setid(stream, "notifications", "0")
        client.xadd(submitted.stream(namespace), {"envelope": submitted.model_dump_json()})  # republished
        second = start_worker(env, tmp_path / "worker-2.log")
        try:
            wait_until(lambda: group_caught_up(client, streams), 30, "the second worker to take every event")
            time.sleep(1.5)  # several dispatch rounds and reclaim cycles
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        smtp.stop()
        client.close()
    assert [m["To"].addresses[0].addr_spec for m in mailbox.messages] == [ZAVODISKER.email]
    assert sent_rows(database_url) == (1, 1)
