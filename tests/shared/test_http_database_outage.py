"""A service whose database stops answering says so: 503 problem+json with Retry-After on every route
that needs the database, one warning per request and no traceback, counted in a metric, and the
client's keep-alive connection stays open; when the database is back, the same connection gets 200.

A real submissions API process on a PostgreSQL cluster of the test's own, stopped and started again.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kaleidoscope_cli.embedded_redis import free_port
from kaleidoscope_shared.http.problems import PROBLEM_JSON, RETRY_AFTER_S
from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN

from .. import own_postgres
from ..e2e.helpers import contest_body, entry_body
from ..own_postgres import PostgresCluster

ORGANISER = {"Authorization": f"Bearer {DEVELOPMENT_ORGANISER_TOKEN}"}
UNAVAILABLE_METRIC = re.compile(
    r'^kaleidoscope_dependency_unavailable_total\{component="api",dependency="database"\} (\S+)$', re.M
)


@dataclass
class ApiProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()


def serve_submissions(
    tmp_path: Path, database_url: str, redis_url: str, namespace: str, **env: str
) -> ApiProcess:
    """The submissions API as a real process (`python -m submissions api`), answering on a free port."""
    port = free_port()
    log = tmp_path / "api.log"
    environment = {
        **os.environ,
        "SUBMISSIONS_DATABASE_URL": database_url,
        "SUBMISSIONS_REDIS_URL": redis_url,
        "SUBMISSIONS_BUS_NAMESPACE": namespace,
        "SUBMISSIONS_DATA_DIR": str(tmp_path / "data"),
        "SUBMISSIONS_LOG_FORMAT": "json",
        **env,
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "submissions", "api", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    api = ApiProcess(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the API exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{api.url}/health", timeout=1).status_code == 200:
                return api
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the API did not answer in 30 s:\n{log.read_text()}")


def stop(api: ApiProcess) -> None:
    api.process.terminate()
    try:
        api.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        api.process.kill()
        api.process.wait()


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    if not own_postgres.available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but initdb/pg_ctl are not installed: a test-owned PostgreSQL is needed")
        pytest.skip("initdb/pg_ctl not found: no PostgreSQL cluster of the test's own can be made here")
    cluster = PostgresCluster().start()
    try:
        yield cluster
    finally:
        cluster.remove()


def client_address(response: httpx.Response) -> object:
    """The local address of the connection that carried `response`: the same one means kept alive."""
    return response.extensions["network_stream"].get_extra_info("client_addr")


def unavailable_count(client: httpx.Client) -> float:
    found = UNAVAILABLE_METRIC.search(client.get("/metrics/").text)
    return float(found.group(1)) if found else 0.0


def assert_503_problem(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["retry-after"] == str(RETRY_AFTER_S)
    assert response.headers.get("connection", "").lower() != "close"
    problem = response.json()
    assert problem["status"] == 503 and problem["title"] and problem["type"] == "about:blank"


def test_a_database_outage_is_a_503_on_a_connection_that_stays_open(
    tmp_path: Path, cluster: PostgresCluster, redis_url: str, namespace: str
) -> None:
    api = serve_submissions(tmp_path, cluster.create_database("submissions"), redis_url, namespace)
    try:
        with httpx.Client(base_url=api.url, timeout=15) as client:
            created = client.post("/contests", json=contest_body(), headers=ORGANISER)
            assert created.status_code == 201, created.text
            contest = created.json()["id"]
            assert client.post(f"/contests/{contest}/publish", headers=ORGANISER).status_code == 200
            entries = f"/contests/{contest}/entries"
            assert client.post(entries, json=entry_body("before")).status_code == 201
            listed = client.get("/contests")
            assert listed.status_code == 200
            connection = client_address(listed)
            counted_before = unavailable_count(client)

            cluster.stop()
            outage = [
                client.get("/contests"),
                client.get(f"/contests/{contest}"),
                client.post(entries, json=entry_body("during")),
                client.get("/contests"),
            ]
            for response in outage:
                assert_503_problem(response)
            ready = client.get("/ready")
            assert ready.status_code == 503 and ready.headers["content-type"] == PROBLEM_JSON
            assert "database not answering" in ready.json()["detail"]
            assert unavailable_count(client) - counted_before == len(outage)
            assert {client_address(r) for r in [*outage, ready]} == {connection}

            cluster.start()
            deadline, refused = time.monotonic() + 20, len(outage)
            while (back := client.get("/contests")).status_code != 200 and time.monotonic() < deadline:
                assert_503_problem(back)
                refused += 1
                time.sleep(0.2)
            assert back.status_code == 200, back.text
            assert client.post(entries, json=entry_body("after")).status_code == 201
            assert client.get("/ready").status_code == 200
            assert client_address(back) == connection
    finally:
        stop(api)

    lines = api.log_lines()
    warnings = [json.loads(line) for line in lines if "http.database_unavailable" in line]
    assert len(warnings) == refused, lines
    assert all(w["level"] == "warning" and "exception" not in w for w in warnings), warnings
    assert not [line for line in lines if "Traceback" in line or "unhandled_error" in line], lines
