"""docker-compose.yml, run as local processes (kaleidoscope_cli.compose_local): every service's command
with its environment, the migrations first, the judging worker x3 and the judging API x2, the gateway's
nginx config in front. An entry posted through the gateway reaches judging and notifications. The
compose file cannot drift from what actually runs."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kaleidoscope_cli.compose_local import LocalCompose, find_nginx

from ..conftest import postgres_available
from ..e2e.helpers import entry_body, open_contest, wait_until
from .deployment import compose_running_locally

pytestmark = pytest.mark.slow

REPLICAS = {"judging-worker": 3, "judging-api": 2}
ENTRIES = 12


@pytest.fixture
def nginx() -> str:
    found = find_nginx()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but nginx is not installed (apt-get install -y nginx-light)")
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")
    return found


@pytest.fixture
def local_compose(tmp_path: Path, redis_url: str, namespace: str, nginx: str) -> Iterator[LocalCompose]:
    if not postgres_available():
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    with compose_running_locally(tmp_path, redis_url, namespace, REPLICAS, nginx) as local:
        yield local


def test_entries_posted_through_the_gateway_reach_judging_and_notifications_once_each(
    local_compose: LocalCompose,
) -> None:
    token = local_compose.compose.services["submissions-api"].environment["SUBMISSIONS_ORGANISER_TOKEN"]
    contest = open_contest(f"{local_compose.gateway_url()}/submissions", token)
    titles = [f"Рюкзачок знаний {i}" for i in range(ENTRIES)]
    with httpx.Client(base_url=local_compose.gateway_url(), timeout=10) as gateway:
        posted = [
            gateway.post(f"/submissions/contests/{contest}/entries", json=entry_body(title))
            for title in titles
        ]
        assert [response.status_code for response in posted] == [201] * ENTRIES, posted[-1].text
        entry_ids = sorted(response.json()["id"] for response in posted)

        def judging_entries() -> list[str]:
            return sorted(row["id"] for row in gateway.get(f"/judging/contests/{contest}/entries").json())

        def deliveries() -> list[str]:
            listed = gateway.get(
                "/notifications/deliveries",
                params={"contest_id": str(contest)},
                headers={"Authorization": f"Bearer {token}"},
            )
            return [row["status"] for row in listed.json()]

        wait_until(lambda: judging_entries() == entry_ids, 60, "judging to record every entry")
        wait_until(lambda: deliveries() == ["sent"] * ENTRIES, 60, "notifications to confirm every entry")
        time.sleep(1.0)  # a message handled twice by two of the workers would show now
        assert judging_entries() == entry_ids
        assert deliveries() == ["sent"] * ENTRIES
        first = gateway.get(
            f"/submissions/entries/{posted[0].json()['id']}", params={"token": posted[0].json()["token"]}
        )
        assert first.json()["content"]["title"] == titles[0]
        for service in ("submissions", "judging", "notifications"):
            assert f"/{service}/openapi.json" in gateway.get(f"/{service}/docs").text
            assert gateway.get(f"/{service}/openapi.json").json()["servers"] == [{"url": f"/{service}"}]

    assert local_compose.group is not None and not local_compose.group.exited()
    assert answering_replicas(local_compose) == set(local_compose.local_ports("judging-api", 8000))
    assert len(local_compose.running["judging-worker"]) == REPLICAS["judging-worker"]


def answering_replicas(local: LocalCompose) -> set[int]:
    """The judging API replicas the gateway sent requests to, from its access log."""
    log = (local.run_dir / "gateway" / "access.log").read_text()
    return {int(port) for port in re.findall(r'"GET /judging/[^"]*" 200 upstream=127\.0\.0\.1:(\d+)', log)}
