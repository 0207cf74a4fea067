"""docker-compose.yml, run as local processes (tests/deploy/compose_local.py): every service's command
with its environment, the migrations first, the judging worker x3 and the judging API x2, the gateway's
nginx config in front. An entry posted through the gateway reaches judging and notifications. The
compose file cannot drift from what actually runs. The web front answers at the gateway's `/`, and the
participants' private links point there. The seed contest, driven through the gateway by
`kaleidoscope demo --against` (the command the containers test runs on a real stack), passes its checks,
follows a diploma's verification link through the gateway and ends with 9 finalists and 3 winners."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from kaleidoscope_cli.demo import DemoOutcome, run_demo
from kaleidoscope_cli.main import app
from kaleidoscope_cli.words import say

from ..conftest import postgres_available
from ..e2e.helpers import entry_body, open_contest
from ..polling import wait_until
from .compose_local import LocalCompose, find_nginx
from .deployment import SERVICES, compose_running_locally

pytestmark = pytest.mark.slow

REPLICAS = {"judging-worker": 3, "judging-api": 2}
ENTRIES = 12


@pytest.fixture(scope="module")
def nginx() -> str:
    found = find_nginx()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but nginx is not installed (apt-get install -y nginx-light)")
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")
    return found


@pytest.fixture(scope="module")
def local_compose(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, nginx: str
) -> Iterator[LocalCompose]:
    """One compose, up as local processes, for every test of this module (starting it is the slow part)."""
    if not postgres_available():
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    tmp_path, namespace = tmp_path_factory.mktemp("compose"), f"compose-{uuid.uuid4().hex[:12]}"
    with compose_running_locally(tmp_path, redis_url, namespace, REPLICAS, nginx) as local:
        yield local


def organiser_token(local: LocalCompose) -> str:
    return local.compose.services["submissions-api"].environment["SUBMISSIONS_ORGANISER_TOKEN"]


def test_entries_posted_through_the_gateway_reach_judging_and_notifications_once_each(
    local_compose: LocalCompose,
) -> None:
    token = organiser_token(local_compose)
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
        private_link = posted[0].json()["private_link"]
        assert private_link.startswith(f"{local_compose.gateway_url()}/entries/"), private_link
        first = gateway.get(
            f"/submissions/entries/{posted[0].json()['id']}", params={"token": posted[0].json()["token"]}
        )
        assert first.json()["content"]["title"] == titles[0]
        for service in ("submissions", "judging", "notifications"):
            assert f"/{service}/openapi.json" in gateway.get(f"/{service}/docs").text
            assert gateway.get(f"/{service}/openapi.json").json()["servers"] == [{"url": f"/{service}"}]

    assert local_compose.group is not None and not local_compose.group.exited()
    assert answering_replicas(local_compose) == set(local_compose.local_ports("judging-api", 8000))


def test_the_web_front_answers_at_the_gateways_root_and_calls_the_apis_it_is_given(
    local_compose: LocalCompose,
) -> None:
    (web_port,) = local_compose.local_ports("web", 8000)
    assert httpx.get(f"http://127.0.0.1:{web_port}/health").status_code == 200
    stylesheet = httpx.get(f"{local_compose.gateway_url()}/static/site.css")
    assert stylesheet.status_code == 200 and "css" in stylesheet.headers["content-type"]
    log = (local_compose.run_dir / "gateway" / "access.log").read_text()
    assert f'"GET /static/site.css HTTP/1.1" 200 upstream=127.0.0.1:{web_port}' in log
    (web,) = local_compose.running["web"]
    apis = {f"WEB_{s.upper()}_URL": local_compose.local_ports(f"{s}-api", 8000) for s in SERVICES}
    for key, ports in apis.items():
        assert web.spec.env[key] in {f"http://127.0.0.1:{port}" for port in ports}, key
    assert len(local_compose.running["judging-worker"]) == REPLICAS["judging-worker"]


def test_the_seed_contest_through_the_gateway_ends_with_nine_finalists_and_three_winners(
    local_compose: LocalCompose, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kaleidoscope demo --against <gateway>`, as the containers test runs it on a real stack: its checks
    (finalists, winners, each delivery once, a letter and a diploma per author) and the diploma's
    verification link followed through the gateway. The demo's outcome is kept on its way for what the
    command does not print."""
    outcomes: list[DemoOutcome] = []

    def kept(*args: Any, **kwargs: Any) -> DemoOutcome:
        outcomes.append(run_demo(*args, **kwargs))
        return outcomes[-1]

    monkeypatch.setattr("kaleidoscope_cli.demo_against.run_demo", kept)
    done = CliRunner().invoke(
        app,
        ["demo", "--against", local_compose.gateway_url(), "--language", "en"],
        env={"KALEIDOSCOPE_ORGANISER_TOKEN": organiser_token(local_compose)},
    )
    assert done.exit_code == 0, done.output[-3000:]
    for check in ("check_finalists", "check_winners", "check_once", "check_documents", "check_verify_link"):
        assert f"{say('en', 'check_ok')} {say('en', check)}" in done.output, done.output[-3000:]
    assert f"the diploma's link: {local_compose.gateway_url()}/verify/" in done.output
    (outcome,) = outcomes
    finalists = Counter(r["nomination_code"] for r in outcome.finalists)
    assert finalists == dict.fromkeys(("service-guide", "information-collection", "idea-generator"), 3)
    assert sorted(r["place"] for r in outcome.winners) == [1, 1, 1]
    documents = Counter(d["kind"] for d in outcome.documents)
    assert documents["winner_diploma"] == sum(
        len(outcome.entries[w["entry_id"]]["content"]["authors"]) for w in outcome.winners
    )
    assert local_compose.group is not None and not local_compose.group.exited()
    assert len(answering_replicas(local_compose)) == REPLICAS["judging-api"]


def answering_replicas(local: LocalCompose) -> set[int]:
    """The judging API replicas the gateway sent requests to, from its access log."""
    log = (local.run_dir / "gateway" / "access.log").read_text()
    return {int(port) for port in re.findall(r'"GET /judging/[^"]*" 200 upstream=127\.0\.0\.1:(\d+)', log)}


def test_the_gateway_refuses_large_bodies_except_where_files_are_uploaded(
    local_compose: LocalCompose,
) -> None:
    token = organiser_token(local_compose)
    contest = open_contest(f"{local_compose.gateway_url()}/submissions", token)
    two_mib = b"x" * (2 * 1024 * 1024)
    with httpx.Client(base_url=local_compose.gateway_url(), timeout=30) as gateway:
        refused = gateway.post(
            f"/submissions/contests/{contest}/entries",
            content=two_mib,
            headers={"content-type": "application/json"},
        )
        assert refused.status_code == 413 and "nginx" in refused.text  # the gateway's own answer
        uploaded = gateway.post(
            f"/submissions/contests/{contest}/attachments",
            params={"filename": "plan.pdf"},
            content=b"%PDF-1.4\n" + two_mib,
            headers={"content-type": "application/pdf"},
        )
        assert uploaded.status_code != 413 or "nginx" not in uploaded.text, uploaded.text
        assert uploaded.headers.get("content-type", "").startswith("application/"), uploaded.text


def test_the_gateway_keeps_the_apis_metrics_inside(local_compose: LocalCompose) -> None:
    with httpx.Client(base_url=local_compose.gateway_url(), timeout=10) as gateway:
        for service in SERVICES:
            assert gateway.get(f"/{service}/metrics").status_code == 404, service
            assert gateway.get(f"/{service}/metrics/").status_code == 404, service
            assert gateway.get(f"/{service}/health").status_code == 200, service
