"""A real worker sending to a real webhook receiver is killed with SIGKILL mid-send, twice, and
restarted: every message arrives; the copies are no more than the messages in flight at each kill,
carry the same `webhook-id` as the first, and each one is an attempt of its own in the database."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis as redis_sync
from notify_testkit import Received, loopback_receiver
from service_kit import contest_announced, entry_submitted, wrap
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from test_redelivery_process import start_worker

from notifications.adapters.tables import DELIVERIES, DELIVERY_ATTEMPTS
from notifications.channels.webhook import generate_secret, verify
from tests.polling import wait_until

pytestmark = pytest.mark.slow

ENTRIES = 75  # two authors each: 150 messages
CONCURRENCY = 4
KILLS = 2


def database_state(
    database_url: str,
) -> tuple[dict[uuid.UUID, tuple[str, int]], list[tuple[uuid.UUID, int, str | None]]]:
    """Each delivery's (status, attempts), and every attempt as (delivery, number, outcome)."""

    async def read() -> tuple[dict[uuid.UUID, tuple[str, int]], list[tuple[uuid.UUID, int, str | None]]]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as c:
                rows = await c.execute(select(DELIVERIES.c.id, DELIVERIES.c.status, DELIVERIES.c.attempts))
                attempts = await c.execute(
                    select(
                        DELIVERY_ATTEMPTS.c.delivery_id,
                        DELIVERY_ATTEMPTS.c.number,
                        DELIVERY_ATTEMPTS.c.outcome,
                    )
                )
                return {r.id: (r.status, r.attempts) for r in rows}, [tuple(a) for a in attempts]  # type: ignore[misc]
        except Exception:  # the worker has not created the tables yet
            return {}, []
        finally:
            await engine.dispose()

    return asyncio.run(read())


def all_sent(database_url: str, expected: int) -> bool:
    rows, _ = database_state(database_url)
    return len(rows) == expected and all(status == "sent" for status, _ in rows.values())


def test_a_killed_sender_resends_only_its_messages_in_flight_and_logs_each_resend(
    tmp_path: Path, redis_url: str, namespace: str
) -> None:
    secret = generate_secret()

    def slow_ok(request: Received) -> tuple[int, bytes, str]:
        time.sleep(0.03)  # a receiver that takes its time: a kill finds messages in flight
        return 200, b"{}", "application/json"

    with loopback_receiver(slow_ok) as receiver:
        database_url = f"sqlite+aiosqlite:///{tmp_path}/notifications.db"
        env = {
            "NOTIFICATIONS_DATABASE_URL": database_url,
            "NOTIFICATIONS_REDIS_URL": redis_url,
            "NOTIFICATIONS_BUS_NAMESPACE": namespace,
            "NOTIFICATIONS_DATA_DIR": str(tmp_path),
            "NOTIFICATIONS_DEFAULT_CHANNELS": '["webhook"]',
            "NOTIFICATIONS_WEBHOOK_SECRET": secret,
            "NOTIFICATIONS_WEBHOOK_URL": receiver.url + "/hook",
            "NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
            "NOTIFICATIONS_WEBHOOK_ALLOW_HTTP": "true",
            "NOTIFICATIONS_DISPATCH_CONCURRENCY": str(CONCURRENCY),
            "NOTIFICATIONS_DISPATCH_BATCH_SIZE": "20",
            "NOTIFICATIONS_DISPATCH_LEASE_S": "1.5",
            "NOTIFICATIONS_CONSUMER_BLOCK_MS": "200",
        }
        client = redis_sync.Redis.from_url(redis_url)
        contest = uuid.uuid4()
        events = [wrap(contest_announced(contest))]
        events += [wrap(entry_submitted(contest, title=f"Проект {i}")) for i in range(ENTRIES)]
        for envelope in events:
            client.xadd(envelope.stream(namespace), {"envelope": envelope.model_dump_json()})
        client.close()
        expected = 2 * ENTRIES
        workers = []
        try:
            for kill in range(KILLS):
                worker = start_worker(env, tmp_path / f"worker-{kill + 1}.log")
                workers.append(worker)
                reached = len(receiver.requests) + 30
                wait_until(
                    lambda reached=reached: len(receiver.requests) >= reached,  # type: ignore[misc]
                    60,
                    f"30 more messages before kill {kill + 1}",
                )
                os.killpg(worker.pid, signal.SIGKILL)  # in the middle of sending
                worker.wait(10)
                assert len({r.headers["webhook-id"] for r in receiver.requests}) < expected
            last = start_worker(env, tmp_path / "worker-last.log")
            workers.append(last)
            wait_until(lambda: all_sent(database_url, expected), 90, "every delivery to be recorded as sent")
            os.killpg(last.pid, signal.SIGTERM)
            last.wait(10)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait(10)
        requests = list(receiver.requests)

    received = Counter(uuid.UUID(r.headers["webhook-id"]) for r in requests)
    for request in requests:  # every copy is a genuine request with the delivery's own id
        verify(secret, request.headers, request.body, now=int(request.headers["webhook-timestamp"]))
        assert f'"delivery_id": "{request.headers["webhook-id"]}"' in request.body.decode()
    rows, attempts = database_state(database_url)
    assert set(received) == set(rows) and len(rows) == expected  # every message arrived
    copies = sum(received.values()) - expected
    assert 1 <= copies <= KILLS * CONCURRENCY  # the kills landed mid-send; only messages in flight resent
    logged = Counter(delivery for delivery, _, _ in attempts)
    unknown = Counter(delivery for delivery, _, outcome in attempts if outcome is None)
    for delivery, (status, count) in rows.items():
        assert status == "sent" and logged[delivery] == count  # the log holds every attempt counted
        assert received[delivery] <= count, f"{delivery} arrived more often than it was attempted"
        # one attempt concluded as sent; every other one was cut short by a kill
        assert (count - unknown[delivery], unknown[delivery]) == (1, count - 1)
    assert sum(unknown.values()) <= KILLS * CONCURRENCY
