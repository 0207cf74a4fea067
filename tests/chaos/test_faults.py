"""Faults injected into the whole system running as real processes, while entries flow: crashed
workers, a crashed Redis (with its append-only file and without), a database that stops answering, a
worker frozen past the reclaim idle time, a notifications worker crashed while it sends. After each,
nothing is lost, applied twice, left pending or dead-lettered, and messages are sent twice no more
often than the crashes allow.

Run with `make chaos` (CHAOS_SCALE=full, the default, or ci); `make test` leaves these out."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_sync

from kaleidoscope_cli.embedded_redis import RedisServer

from .. import own_postgres
from ..conftest import _admin, database_urls_for_processes, postgres_available
from ..e2e.helpers import ORGANISER, entry_body
from .harness import IN_FLIGHT, Row, System, assert_row, recorded, scale

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(1200)]

SERVICES = ("submissions", "judging", "notifications")


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh database per service on the machine's PostgreSQL, dropped afterwards."""
    if not postgres_available():
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    urls = dict(zip(SERVICES, database_urls_for_processes(tmp_path, 3, "postgresql"), strict=True))
    yield urls
    for url in urls.values():
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


def _finish(system: System, row: Row) -> None:
    """Wait for the system to catch up (or give up after the scale's time), then count."""
    if not system.wait_caught_up(scale().converge_s):
        row.problems.append("did not catch up (timed out, or nothing moved for 60 s)")
    system.measure(row)


def test_workers_killed_while_entries_flow(
    tmp_path: Path, redis_url: str, namespace: str, databases: dict[str, str]
) -> None:
    """kill -9 of every worker kind, each `kills_per_worker` times, a new replica after each."""
    chaos = scale()
    victims = ["submissions-worker", "judging-worker-1", "notifications-worker", "judging-worker-2"]
    schedule = [victims[i % 4] for i in range(chaos.kills_per_worker * 4)]
    # judging has two replicas: each is killed half as often, the kind as often as the others
    schedule = [v for v in schedule if not v.startswith("judging")] + [
        f"judging-worker-{1 + i % 2}" for i in range(chaos.kills_per_worker)
    ]
    random.Random(7).shuffle(schedule)
    row = Row(f"kill -9 workers ×{chaos.kills_per_worker} per kind (judging: 2 replicas)")
    with recorded(row):
        system = System(tmp_path, redis_url, namespace, databases, judging_workers=2).start()
        try:
            duration = 60.0 if chaos.name == "full" else 40.0
            producer = system.producer(chaos.entries, chaos.entries / duration).start()
            rng = random.Random(11)
            for victim in schedule:
                time.sleep(duration / (len(schedule) + 1) * rng.uniform(0.6, 1.4))
                system.kill_and_replace(victim)
                row.kills += 1
            producer.join()
            notification_kills = schedule.count("notifications-worker")
            row.sent_twice_bound = notification_kills * IN_FLIGHT
            row.notes = (
                f"{notification_kills} notifications, {schedule.count('submissions-worker')} submissions "
                f"(outbox relay), {chaos.kills_per_worker} judging kills; sent twice allowed: "
                f"{IN_FLIGHT} per notifications kill"
            )
            _finish(system, row)
        finally:
            system.stop()
    assert_row(row)


@pytest.mark.parametrize("appendonly", [True, False], ids=["aof-everysec", "no-aof"])
def test_redis_killed_while_entries_flow(
    tmp_path: Path, namespace: str, databases: dict[str, str], appendonly: bool
) -> None:
    """Redis SIGKILLed three times: with an append-only file fsynced every second (the last second
    may be lost), or without one (it comes back empty)."""
    chaos = scale()
    what = "AOF everysec" if appendonly else "no AOF, restarted empty"
    row = Row(f"Redis SIGKILL ×3, {what}")
    redis = RedisServer(tmp_path / "redis", appendonly=appendonly).start()
    _everysec(redis, appendonly)
    with recorded(row):
        system = System(tmp_path, redis.url, namespace, databases).start()
        try:
            duration = 45.0 if chaos.name == "full" else 30.0
            # in bursts, so that Redis dies holding events not yet consumed
            producer = system.producer(chaos.entries, chaos.entries / duration, burst=25).start()
            for _ in range(3):
                time.sleep(duration / 4 - 2)
                if system.wait_unconsumed(timeout=4):
                    row.kills_with_backlog += 1
                assert redis.process is not None
                down = time.monotonic()
                os.kill(redis.process.pid, signal.SIGKILL)
                redis.process.wait()
                row.kills += 1
                time.sleep(1.0)
                redis.start()
                _everysec(redis, appendonly)
                row.outage_s += time.monotonic() - down
            producer.join()
            row.notes = f"{row.kills_with_backlog} of the kills while events were not yet consumed"
            _finish(system, row)
        finally:
            system.stop()
            redis.stop()
    assert_row(row)


def _everysec(redis: RedisServer, appendonly: bool) -> None:
    """RedisServer asks for `appendfsync always`; production runs `everysec`, which can lose the last
    second of writes when the process is killed."""
    if appendonly:
        client = redis_sync.Redis.from_url(redis.url)
        try:
            client.config_set("appendfsync", "everysec")
        finally:
            client.close()


def test_a_database_outage_while_entries_flow(tmp_path: Path, namespace: str, redis_url: str) -> None:
    """The PostgreSQL of all three services stops (as if it crashed) while entries flow and comes back
    after the outage: meanwhile every API answers 503; afterwards nothing is dead-lettered or lost."""
    if not own_postgres.available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no initdb/pg_ctl to run a PostgreSQL of the test's own")
        pytest.skip("no initdb/pg_ctl here")
    chaos = scale()
    row = Row(f"PostgreSQL down {chaos.outage_s:.0f} s (immediate stop)")
    cluster = own_postgres.PostgresCluster().start()
    try:
        with recorded(row):
            urls = {s: cluster.create_database(f"chaos_{s}") for s in SERVICES}
            system = System(tmp_path, redis_url, namespace, urls, judging_workers=2).start()
            try:
                duration = 40.0 if chaos.name == "full" else 25.0
                producer = system.producer(
                    chaos.entries, chaos.entries / duration, through_outages=True
                ).start()
                time.sleep(duration / 3)
                contest = producer.contest_id
                assert contest is not None
                down = time.monotonic()
                cluster.stop("immediate")
                answers = _probe_until(system, contest, down + chaos.outage_s)
                cluster.start()
                row.outage_s = time.monotonic() - down
                producer.join()
                # no kill: a message sent while the database went away keeps its claim and has its
                # outcome recorded when the database is back, so nothing is sent twice
                row.sent_twice_bound = 0
                answered = sum(answers.values())
                row.notes = (
                    f"{answered} API answers during the outage: "
                    + ", ".join(f"{n}× {status}" for status, n in sorted(answers.items(), key=str))
                    + f"; the producer waited {producer.waited_for_database}× for the database"
                )
                if answers.get(500):
                    row.problems.append(f"{answers[500]} answers 500 during the outage")
                others = {status: n for status, n in answers.items() if status != 503}
                if others:
                    row.problems.append(f"answers other than 503 during the outage: {others}")
                if not answered:
                    row.problems.append("no API answered during the outage")
                _finish(system, row)
            finally:
                system.stop()
    finally:
        cluster.remove()
    assert_row(row)


def _probe_until(system: System, contest: uuid.UUID, until: float) -> Counter[int | str]:
    """Ask the submissions and judging APIs, again and again, until `until`; their answers' statuses
    (or "no answer")."""
    answers: Counter[int | str] = Counter()
    with httpx.Client(timeout=5, headers=ORGANISER) as client:
        while time.monotonic() < until:
            for method, url, body in (
                ("GET", f"{system.url('submissions')}/contests/{contest}", None),
                ("POST", f"{system.url('submissions')}/contests/{contest}/entries", entry_body("outage")),
                ("GET", f"{system.url('judging')}/contests/{contest}/entries", None),
            ):
                try:
                    answers[client.request(method, url, json=body).status_code] += 1
                except httpx.HTTPError:
                    answers["no answer"] += 1
            time.sleep(0.25)
    return answers


def test_a_judging_worker_frozen_past_the_reclaim_idle_time(
    tmp_path: Path, redis_url: str, namespace: str, databases: dict[str, str]
) -> None:
    """SIGSTOP of one of two judging replicas for 5 s (the reclaim idle time is 1 s), three times:
    the other takes its messages over; when it resumes, what it was applying is not applied twice."""
    chaos = scale()
    row = Row("SIGSTOP judging worker 5 s ×3 (reclaim idle 1 s)")
    with recorded(row):
        system = System(tmp_path, redis_url, namespace, databases, judging_workers=2).start()
        try:
            duration = 40.0 if chaos.name == "full" else 30.0
            producer = system.producer(chaos.entries, chaos.entries / duration).start()
            frozen = system.pid("judging-worker-1")
            for _ in range(3):
                time.sleep(duration / 8)
                os.killpg(frozen, signal.SIGSTOP)
                time.sleep(5.0)
                os.killpg(frozen, signal.SIGCONT)
                row.outage_s += 5.0
            producer.join()
            row.notes = "outage s: how long the worker was stopped in all"
            _finish(system, row)
        finally:
            system.stop()
    assert_row(row)


def test_the_notifications_worker_killed_while_it_sends_a_fan_out(
    tmp_path: Path, redis_url: str, namespace: str, databases: dict[str, str]
) -> None:
    """Every entry's confirmation held back, then sent in one burst by a notifications worker killed
    five times while it sends: every message arrives; resent ones are at most a crash's batches."""
    chaos = scale()
    row = Row("kill -9 notifications worker ×5 during a fan-out")
    with recorded(row):
        system = System(tmp_path, redis_url, namespace, databases).start()
        group = system.stack.group
        assert group is not None
        try:
            group.stop("notifications-worker")
            system.producer(chaos.entries, rate=1000.0).start().join()
            group.start(system.spec("notifications-worker"))
            for k in range(1, 6):
                threshold = chaos.entries * k // 6
                sent, moved = system.receiver.distinct(), time.monotonic()
                while sent < threshold and time.monotonic() - moved < 30:
                    time.sleep(0.01)
                    if system.receiver.distinct() != sent:
                        sent, moved = system.receiver.distinct(), time.monotonic()
                system.kill_and_replace("notifications-worker")
                row.kills += 1
                sent_at_kill = system.receiver.distinct()
                if sent_at_kill >= chaos.entries:
                    row.problems.append(f"kill {k} came after the last message was sent")
            row.sent_twice_bound = row.kills * IN_FLIGHT
            row.notes = f"sent twice allowed: {IN_FLIGHT} (two claimed batches) per kill"
            _finish(system, row)
        finally:
            system.stop()
    assert_row(row)
