"""A real notifications worker whose PostgreSQL stops answering names the outage as the database's:
its consumer and its relay log `consumer.database_unavailable` and `relay.database_unavailable`, never
`*.redis_unavailable`, and count it in `kaleidoscope_dependency_unavailable_total` with
`dependency="database"` (not "redis"). The event that arrived meanwhile is held, not counted, and
applied once when the database is back.

The PostgreSQL cluster is the test's own, on another port (tests/own_postgres.py), stopped and
started again; the worker's /metrics is scraped over HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
from service_kit import contest_announced, wrap
from test_channels_in_service import free_port
from test_redelivery_process import group_caught_up, start_worker

from tests.own_postgres import PostgresCluster, available
from tests.polling import wait_until

pytestmark = pytest.mark.slow

UNAVAILABLE = re.compile(
    r'^kaleidoscope_dependency_unavailable_total\{component="(\w+)",dependency="(\w+)"\} (\S+)$', re.M
)


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    if not available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but initdb/pg_ctl are not found")
        pytest.skip("initdb/pg_ctl not found: no PostgreSQL cluster of the test's own")
    own = PostgresCluster().start()
    yield own
    own.remove()


def scrape(metrics_url: str) -> str:
    try:
        return httpx.get(metrics_url, timeout=2).text
    except httpx.HTTPError:
        return ""


def unavailable_counts(metrics_url: str) -> dict[tuple[str, str], float]:
    """(component, dependency) → kaleidoscope_dependency_unavailable_total, from the worker's /metrics."""
    return {(c, d): float(v) for c, d, v in UNAVAILABLE.findall(scrape(metrics_url))}


def logged(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


def test_a_stopped_database_is_logged_and_counted_as_the_database_by_consumer_and_relay(
    cluster: PostgresCluster, tmp_path: Path, redis_url: str, namespace: str
) -> None:
    metrics_port = free_port()
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    log = tmp_path / "worker.log"
    env = {
        "NOTIFICATIONS_DATABASE_URL": cluster.create_database("notifications"),
        "NOTIFICATIONS_REDIS_URL": redis_url,
        "NOTIFICATIONS_BUS_NAMESPACE": namespace,
        "NOTIFICATIONS_DATA_DIR": str(tmp_path),
        "NOTIFICATIONS_METRICS_PORT": str(metrics_port),
        "NOTIFICATIONS_CONSUMER_BLOCK_MS": "200",
        "NOTIFICATIONS_RECLAIM_IDLE_MS": "300",
        "NOTIFICATIONS_RECLAIM_INTERVAL_S": "0.1",
        "NOTIFICATIONS_MAX_DELIVERIES": "2",
        "NOTIFICATIONS_RELAY_POLL_INTERVAL_S": "0.2",
    }
    client = redis_sync.Redis.from_url(redis_url)
    announced = wrap(contest_announced(uuid.uuid4()))
    stream = announced.stream(namespace)
    worker: subprocess.Popen[bytes] = start_worker(env, log)
    try:
        wait_until(lambda: '"worker.started"' in logged(log), 60, "the worker to start")
        wait_until(lambda: "kaleidoscope_" in scrape(metrics_url), 20, "the worker's /metrics")
        assert unavailable_counts(metrics_url).get(("relay", "database"), 0) == 0  # all well so far
        cluster.stop("fast")  # the worker's pooled connections are cut; new ones are refused
        client.xadd(stream, {"envelope": announced.model_dump_json()})
        wait_until(
            lambda: (
                '"consumer.database_unavailable"' in logged(log)
                and '"relay.database_unavailable"' in logged(log)
            ),
            30,
            "the consumer and the relay to log the database as unavailable",
        )

        def counted() -> dict[tuple[str, str], float]:
            found = unavailable_counts(metrics_url)
            ok = found.get(("consumer", "database"), 0) >= 1 and found.get(("relay", "database"), 0) >= 1
            return found if ok else {}

        counts = wait_until(counted, 10, "the outage counted for the consumer and the relay")
        [pending] = client.xpending_range(stream, "notifications", min="-", max="+", count=10)
        assert pending["times_delivered"] == 1  # held while the database is down, not redelivered
        cluster.start()
        wait_until(lambda: group_caught_up(client, [stream]), 30, "the event to be applied after the outage")
        dead = client.xlen(f"{namespace}.dead-letters.notifications")
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(15)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        client.close()

    text = logged(log)
    assert "redis_unavailable" not in text, "a database outage was logged as Redis's"
    # the consumer says it once per outage, and when it is over (the relay says it on each pass)
    assert text.count('"consumer.database_unavailable"') == 1
    assert text.count('"consumer.database_back"') == 1
    assert counts.get(("consumer", "redis"), 0) == 0 and counts.get(("relay", "redis"), 0) == 0
    assert dead == 0
