"""A real notifications worker is killed with SIGKILL five times while it applies ContestFinished for
300 participants — each time before the fan-out commits — and a last worker runs to the end: every
participant gets exactly one final message and nothing is dead-lettered. Five kills are as many as
`max_deliveries`: a crash must not count as a handler failure (it has a cap of its own,
`max_crashes`, 30 by default).

The kills are timed by the database: the test holds SQLite's write lock (BEGIN IMMEDIATE) while the
event is delivered, so the worker reads the contest, plans the fan-out and then waits for the lock
inside its transaction (the busy timeout is 30 s); it is killed there, holding the message, with
nothing of the fan-out committed."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync
from notify_testkit import Received, loopback_receiver
from service_kit import author, contest_announced, contest_finished, entry_submitted, wrap
from test_killed_sender_process import database_state
from test_redelivery_process import group_caught_up, start_worker

from kaleidoscope_shared.contracts import ContestFinished
from notifications.channels.webhook import generate_secret
from tests.polling import wait_until

pytestmark = pytest.mark.slow

PARTICIPANTS = 300
KILLS = 5  # = max_deliveries: each crash counted as a failure would dead-letter the event
FINAL = "contest_finished_participant"


class KindsReceived:
    """(kind, recipient address) of every request the receiver got, each body decoded once: a final
    message carries its PDFs, so decoding every body again at each poll (tens of megabytes ten times a
    second) made the wait itself the slowest part of the test."""

    def __init__(self, requests: list[Received]) -> None:
        self._requests = requests
        self._decoded = 0
        self.found: Counter[tuple[str, str]] = Counter()

    def now(self) -> Counter[tuple[str, str]]:
        arrived = self._requests[self._decoded :]  # the receiver's threads only ever append
        for request in arrived:
            body = json.loads(request.body)
            self.found[(body["metadata"]["kind"], body["recipient"]["address"])] += 1
        self._decoded += len(arrived)
        return self.found


def everything_sent(database_url: str, at_least: int) -> bool:
    rows, _ = database_state(database_url)
    return len(rows) >= at_least and all(status == "sent" for status, _ in rows.values())


def caught_up(client: redis_sync.Redis, streams: list[str]) -> bool:
    try:
        return group_caught_up(client, streams)
    except (ValueError, redis_sync.ResponseError):  # the worker has not made its group yet
        return False


def pending_of(client: redis_sync.Redis, stream: str) -> list[Any]:
    return list(client.xpending_range(stream, "notifications", min="-", max="+", count=10))


def held(client: redis_sync.Redis, stream: str) -> list[tuple[object, object]]:
    """(consumer, times delivered) of each message pending on `stream`."""
    return [(p["consumer"], p["times_delivered"]) for p in pending_of(client, stream)]


def test_five_kills_during_a_contest_finished_fan_out_dead_letter_nothing_and_send_each_letter_once(
    tmp_path: Path, redis_url: str, namespace: str
) -> None:
    database_file = tmp_path / "notifications.db"
    database_url = f"sqlite+aiosqlite:///{database_file}"

    def ok(request: Received) -> tuple[int, bytes, str]:
        return 200, b"{}", "application/json"

    with loopback_receiver(ok) as receiver:
        env = {
            "NOTIFICATIONS_DATABASE_URL": database_url,
            "NOTIFICATIONS_REDIS_URL": redis_url,
            "NOTIFICATIONS_BUS_NAMESPACE": namespace,
            "NOTIFICATIONS_DATA_DIR": str(tmp_path),
            "NOTIFICATIONS_DEFAULT_CHANNELS": '["webhook"]',
            "NOTIFICATIONS_WEBHOOK_SECRET": generate_secret(),
            "NOTIFICATIONS_WEBHOOK_URL": receiver.url + "/hook",
            "NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
            "NOTIFICATIONS_WEBHOOK_ALLOW_HTTP": "true",
            "NOTIFICATIONS_CONSUMER_BLOCK_MS": "200",
            "NOTIFICATIONS_RECLAIM_IDLE_MS": "500",
            "NOTIFICATIONS_RECLAIM_INTERVAL_S": "0.2",
            "NOTIFICATIONS_MAX_DELIVERIES": str(KILLS),  # the default, said out loud
            "NOTIFICATIONS_MAX_CRASHES": "30",
        }
        client = redis_sync.Redis.from_url(redis_url)
        contest = uuid.uuid4()
        emails = [f"participant-{i}@libraries.example" for i in range(PARTICIPANTS)]
        entries = [uuid.uuid4() for _ in emails]
        before = [wrap(contest_announced(contest))] + [
            wrap(entry_submitted(contest, entry, title=f"Проект {i}", authors=[author(f"Автор {i}", email)]))
            for i, (entry, email) in enumerate(zip(entries, emails, strict=True))
        ]
        for envelope in before:
            client.xadd(envelope.stream(namespace), {"envelope": envelope.model_dump_json()})
        finished = wrap(contest_finished(contest, entries, []))
        stream = ContestFinished.stream(namespace)
        streams = sorted({e.stream(namespace) for e in before})
        dead_letters = f"{namespace}.dead-letters.notifications"
        workers: list[subprocess.Popen[bytes]] = []
        lock: sqlite3.Connection | None = None
        try:
            worker = start_worker(env, tmp_path / "worker-1.log")
            workers.append(worker)
            # the contest and its entries applied, the confirmations sent: the worker is idle
            wait_until(lambda: caught_up(client, streams), 60, "the entries to be applied")
            wait_until(
                lambda: everything_sent(database_url, PARTICIPANTS), 60, "the confirmations to be sent"
            )
            lock = sqlite3.connect(database_file, timeout=30, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")  # no other writer until released
            client.xadd(stream, {"envelope": finished.model_dump_json()})
            for kill in range(1, KILLS + 1):
                if kill > 1:
                    worker = start_worker(env, tmp_path / f"worker-{kill}.log")
                    workers.append(worker)
                holder = f"notifications-{socket.gethostname()}-{worker.pid}".encode()
                wait_until(
                    lambda kill=kill, holder=holder: held(client, stream) == [(holder, kill)],  # type: ignore[misc]
                    30,
                    f"ContestFinished delivered to worker {kill}",
                )
                time.sleep(0.5)  # inside its transaction, waiting for the write lock
                assert worker.poll() is None
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
                applied = lock.execute(
                    "SELECT count(*) FROM inbox WHERE event_id = ?", (str(finished.event_id),)
                ).fetchone()
                assert applied == (0,), "the fan-out committed before the kill"
            assert client.xlen(dead_letters) == 0
            lock.rollback()
            lock.close()
            lock = None
            last = start_worker(env, tmp_path / "worker-last.log")
            workers.append(last)
            kinds = KindsReceived(receiver.requests)

            def finals_arrived() -> bool:
                dead_lettered = client.xrange(dead_letters)
                assert not dead_lettered, dead_lettered  # with its reason and error
                received = kinds.now()
                return sum(n for (kind, _), n in received.items() if kind == FINAL) >= PARTICIPANTS

            wait_until(finals_arrived, 90, "every participant's final message")
            wait_until(
                lambda: caught_up(client, [*streams, stream]), 30, "ContestFinished to be acknowledged"
            )
            wait_until(
                lambda: everything_sent(database_url, 2 * PARTICIPANTS), 30, "every delivery recorded as sent"
            )
            time.sleep(1.0)  # a few more dispatch and reclaim rounds: nothing more may arrive
            os.killpg(last.pid, signal.SIGTERM)
            last.wait(15)
            final_deliveries = pending_of(client, stream)
            dead = client.xlen(dead_letters)
            failures = client.hlen(f"{namespace}.failures.notifications")
        finally:
            if lock is not None:
                lock.close()
            for worker in workers:
                if worker.poll() is None:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait(10)
            client.close()
        received = kinds.now()  # those that came after the wait, added to what it counted

    assert dead == 0 and failures == 0 and final_deliveries == []
    finals = {address: n for (kind, address), n in received.items() if kind == FINAL}
    assert finals == dict.fromkeys(emails, 1)  # every participant once, nobody twice
