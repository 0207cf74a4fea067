"""The project's containers built and run for real (`make containers-test`), on Docker or podman.

Builds the four images, brings docker-compose.yml up with the secrets deploy/README.md's export block
generates (the block and its commands are taken from the README and run as written; only `docker compose`
becomes this engine's compose command and the gateway's address the one chosen for the run), waits for
every healthcheck, then through the gateway: the seed contest (`kaleidoscope demo --against`, which also
follows a diploma's and a message's links), judging scaled to 4 workers and 2 APIs (both APIs answer, all
four workers are consumers of group `judging` and consume), a worker killed (`kill -s KILL`) while it
holds unacknowledged events (nothing lost, nothing applied twice). Prints and writes
(test-output/containers.md) image sizes, build and start times, idle memory per container. Tears down.

The gateway runs with the stand-in nginx's DNS forwarder off (NGINX_STANDIN_NO_DNS=1): its upstreams
must resolve through the resolver the project's own files choose.

Skipped where no engine answers; with CI=true a missing engine is a failure.
"""

from __future__ import annotations

import email
import email.policy
import io
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kaleidoscope_cli.embedded_redis import free_port

from ..deploy.deploy_readme import exported, readme_block
from .engine import ROOT, Stack, find_engine

TAG = "containers-test"
PROJECT = "kaleidoscopetest"
RUN_DIR = Path(os.environ.get("KALEIDOSCOPE_CONTAINERS_RUN_DIR", "/tmp/kaleidoscope-containers-test"))
OUTPUT = ROOT / "test-output" / "containers.md"
IMAGES = ["submissions", "judging", "notifications", "web"]
FIGURES: dict[str, Any] = {"build": {}, "times": {}}
STREAM = "kaleidoscope.entry-submitted.v1"
# Builds fetch packages (PyPI) on the host's network: an engine's build network may have no way out
# (podman with netavark and no firewall backend here); the running stack never needs one.
BUILD_NETWORK = ["--network", "host"]


def source_tree() -> Path:
    """What is built and run: the checkout, or with KALEIDOSCOPE_CONTAINERS_SOURCE=<commit> (e.g. HEAD)
    that commit's files alone (`git archive`), leaving out whatever is being edited beside it."""
    commit = os.environ.get("KALEIDOSCOPE_CONTAINERS_SOURCE")
    if not commit:
        return ROOT
    tree = RUN_DIR / "source"
    subprocess.run(["rm", "-rf", str(tree)], check=True)
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    engine, why = find_engine()
    if engine is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {why}")
        pytest.skip(why)
    started = time.monotonic()
    source = source_tree()
    exports, _ = readme_block(source)
    port = free_port()
    env = {
        **exported(exports),
        "KALEIDOSCOPE_VERSION": TAG,
        "KALEIDOSCOPE_HTTP_PORT": str(port),
        "KALEIDOSCOPE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    override = RUN_DIR / "test.override.yml"
    # The stand-in nginx's forwarder on 127.0.0.11 off: the project's resolver must do on its own.
    override.write_text("services:\n  gateway:\n    environment:\n      NGINX_STANDIN_NO_DNS: '1'\n")
    current = Stack(engine, PROJECT, RUN_DIR, env, overrides=[override], source=source)
    FIGURES["engine"] = why
    for image in IMAGES:
        t = time.monotonic()
        current.run(
            [
                engine,
                "build",
                *BUILD_NETWORK,
                "-f",
                f"services/{image}/Dockerfile",
                "-t",
                f"kaleidoscope/{image}:{TAG}",
                ".",
            ]
        )
        FIGURES["build"][image] = time.monotonic() - t
    t = time.monotonic()
    for image in IMAGES:  # again: every layer cached, the time of a build with nothing changed
        current.run(
            [
                engine,
                "build",
                *BUILD_NETWORK,
                "-f",
                f"services/{image}/Dockerfile",
                "-t",
                f"kaleidoscope/{image}:{TAG}",
                ".",
            ]
        )
    FIGURES["times"]["rebuild of the 4 images, nothing changed"] = time.monotonic() - t
    try:
        current.start_engine()
        # What an interrupted run left (it fails, as `up` will, when the README's block misses a secret).
        current.run([*current.compose_command(), "down", "-v", "--remove-orphans"], timeout=300, check=False)
        yield current
    finally:
        try:
            current.save_logs()
            t = time.monotonic()
            current.run(
                [*current.compose_command(), "down", "-v", "--remove-orphans"], timeout=300, check=False
            )
            FIGURES["times"]["down -v"] = time.monotonic() - t
        finally:
            current.stop_engine()
        FIGURES["times"]["the whole container test"] = time.monotonic() - started
        write_figures()


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> str:
    return stack.env["KALEIDOSCOPE_PUBLIC_URL"]


def organiser(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.env['KALEIDOSCOPE_ORGANISER_TOKEN']}"}


def test_the_readme_commands_bring_the_stack_up_healthy(stack: Stack, gateway: str) -> None:
    _, commands = readme_block(stack.source)
    t = time.monotonic()
    for command in commands:
        if command.startswith("docker compose "):
            args = command.split("#")[0].split()[2:]
            if stack.engine == "podman":
                # docker-compose 1.29 would build through podman's API; the images were built above.
                args = [a for a in args if a != "--build"]
            stack.up(*args[1:], log="up.log") if args[0] == "up" else stack.compose(*args)
            FIGURES["times"]["compose up -d, until it returned"] = time.monotonic() - t
        elif command.startswith("curl "):
            url = command.split()[1].replace("http://localhost:8080", gateway)
            response = httpx.get(url, timeout=10)
            assert response.status_code == 200, f"{command}: {response.status_code} {response.text[:300]}"
        elif not command.startswith("open "):
            pytest.fail(f"deploy/README.md's block has a command this test does not know: {command}")
    FIGURES["times"]["up, until every container healthy"] = time.monotonic() - t + stack.wait_healthy(240)
    assert httpx.get(f"{gateway}/", timeout=10).status_code == 200, "the web front at the gateway's root"
    for service in ("submissions", "judging", "notifications"):
        assert httpx.get(f"{gateway}/{service}/ready", timeout=10).status_code == 200


def test_every_container_is_healthy_workers_by_what_they_serve(stack: Stack) -> None:
    services = {c["service"] for c in stack.containers()}
    assert {"redis", "postgres", "gateway", "web"} <= services
    for container in stack.containers():
        if container["service"] in ("submissions-worker", "judging-worker", "notifications-worker"):
            assert "(healthy)" in container["status"], container
            check = stack.inspect(container["name"])["Config"]["Healthcheck"]["Test"]
            assert "9100/metrics" in " ".join(check), check


def test_one_shot_migrations_exit_0_and_no_volume_is_anonymous(stack: Stack) -> None:
    migrations = [c for c in stack.containers(every=True) if c["service"].endswith("-migrate")]
    assert len(migrations) == 3, migrations
    for container in migrations:
        state = stack.inspect(container["name"])
        assert state["State"]["ExitCode"] == 0, container
        assert state["Mounts"] == [], f"{container['name']} mounts {state['Mounts']}"
    for container in stack.containers(every=True):
        for mount in stack.inspect(container["name"])["Mounts"]:
            if mount.get("Type") == "volume":
                assert mount["Name"].startswith(f"{PROJECT}_"), (
                    f"{container['name']}: anonymous {mount['Name']}"
                )


def test_the_seed_contest_runs_through_the_gateway(stack: Stack, gateway: str) -> None:
    t = time.monotonic()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "kaleidoscope"), "demo", "--against", gateway, "--language", "en"],
        env={**os.environ, "KALEIDOSCOPE_ORGANISER_TOKEN": stack.env["KALEIDOSCOPE_ORGANISER_TOKEN"]},
        capture_output=True,
        text=True,
        timeout=600,
    )
    (RUN_DIR / "demo.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ok   a diploma's PDF prints a verification link" in done.stdout
    FIGURES["times"]["the seed contest through the gateway"] = time.monotonic() - t


def test_links_in_an_email_as_sent_and_its_pdf_answer_through_the_gateway(stack: Stack, gateway: str) -> None:
    """A message the file channel wrote (the e-mail as it is sent, an .eml in the worker's /data/messages):
    its participant's private link and, in an attached diploma, the verification link."""
    from pypdf import PdfReader

    worker = stack.containers("notifications-worker")[0]["name"]
    names = stack.exec(worker, "sh", "-c", "ls /data/messages | grep '[.]eml$'").split()
    private_link = verify_link = ""
    for name in names:
        message = email.message_from_bytes(
            subprocess.run(
                [stack.engine, "exec", worker, "cat", f"/data/messages/{name}"],
                capture_output=True,
                check=True,
            ).stdout,
            policy=email.policy.default,
        )
        for part in message.walk():
            if part.get_content_type() == "text/plain" and not private_link:
                found = re.search(re.escape(gateway) + r"/entries/[^\s]+", str(part.get_content()))
                private_link = found.group(0) if found else ""
            if part.get_content_type() == "application/pdf" and not verify_link:
                pages = PdfReader(io.BytesIO(part.get_content())).pages
                text = "".join(page.extract_text() or "" for page in pages).replace("\n", "")
                found = re.search(re.escape(gateway) + r"/verify/[A-Za-z0-9-]+", text)
                verify_link = found.group(0) if found else ""
        if private_link and verify_link:
            break
    assert private_link, f"no e-mail among {len(names)} holds a private link to {gateway}"
    assert verify_link, f"no diploma attached to {len(names)} e-mails prints a link to {gateway}"
    for link in (private_link, verify_link):
        # A private link signs the participant in and redirects to the entry's page, on the gateway.
        with httpx.Client(timeout=30, follow_redirects=True) as visitor:
            answered = visitor.get(link)
        assert answered.status_code == 200, f"{link}: {answered.status_code}"
        assert str(answered.url).startswith(gateway + "/"), answered.url
    FIGURES["links"] = f"followed through the gateway: {private_link.split('?')[0]}?token=…, {verify_link}"


def open_contest(gateway: str, headers: dict[str, str]) -> str:
    now = datetime.now(UTC)
    body = {
        "title": "Container test",
        "nominations": [{"code": "service-guide", "title": "Service guide"}],
        "territories": [{"code": "belovo", "name": "Belovo", "kind": "city_district"}],
        "window": {
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
        },
        "rules": {"max_entries_per_author_per_nomination": 1_000_000},
    }
    created = httpx.post(f"{gateway}/submissions/contests", json=body, headers=headers, timeout=30)
    created.raise_for_status()
    contest = created.json()["id"]
    httpx.post(
        f"{gateway}/submissions/contests/{contest}/publish", headers=headers, timeout=30
    ).raise_for_status()
    return str(contest)


def post_entries(gateway: str, contest: str, count: int) -> list[str]:
    posted = []
    with httpx.Client(base_url=gateway, timeout=30) as http:
        for n in range(count):
            body = {
                "nomination_code": "service-guide",
                "title": f"Entry {n}",
                "authors": [
                    {"full_name": "Anna Ivanova", "territory_code": "belovo", "email": f"a{n}@example.org"}
                ],
                "consent_to_personal_data": True,
            }
            response = http.post(f"/submissions/contests/{contest}/entries", json=body)
            assert response.status_code == 201, response.text[:300]
            posted.append(response.json()["id"])
    return posted


def judged(gateway: str, contest: str, headers: dict[str, str]) -> list[str]:
    rows = httpx.get(f"{gateway}/judging/contests/{contest}/entries", headers=headers, timeout=30)
    return sorted(row["id"] for row in rows.json()) if rows.status_code == 200 else []


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s: {what}")
        time.sleep(0.5)


def redis_cli(stack: Stack, *args: str) -> str:
    return stack.exec(stack.containers("redis")[0]["name"], "redis-cli", *args)


def consumed(stack: Stack, worker: str) -> float:
    metrics = stack.exec(
        worker,
        "python",
        "-c",
        "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9100/metrics').read().decode())",
    )
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("kaleidoscope_events_consumed_total") and "entry-submitted" in line
    )


def test_judging_scales_to_four_workers_and_two_apis_all_in_use(stack: Stack, gateway: str) -> None:
    t = time.monotonic()
    stack.up("--scale", "judging-worker=4", "--scale", "judging-api=2", log="scale.log")
    stack.wait_healthy(240)
    FIGURES["times"]["scale to 4 workers and 2 APIs, until healthy"] = time.monotonic() - t
    workers = stack.containers("judging-worker")
    assert len(workers) == 4 and len(stack.containers("judging-api")) == 2
    headers = organiser(stack)
    contest = open_contest(gateway, headers)
    posted = post_entries(gateway, contest, 40)
    wait_for(lambda: judged(gateway, contest, headers) == sorted(posted), 180, "judging to record 40 entries")
    consumers = redis_cli(stack, "xinfo", "consumers", STREAM, "judging")
    for worker in workers:
        host = stack.inspect(worker["name"])["Config"]["Hostname"]
        assert f"judging-{host}-" in consumers, f"{worker['name']} is not a consumer of group judging"
        assert consumed(stack, worker["name"]) > 0, f"{worker['name']} consumed no entry-submitted event"
    since = (datetime.now(UTC) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for _ in range(60):  # over 6 s: the gateway re-resolves its upstreams every 5 s
        assert httpx.get(f"{gateway}/judging/health", timeout=10).status_code == 200
        time.sleep(0.1)
    log = stack.run([stack.engine, "logs", "--since", since, stack.containers("gateway")[0]["name"]]).stdout
    upstreams = set(re.findall(r'"GET /judging/health[^"]*" 200 upstream=([0-9.:]+)', log))
    assert len(upstreams) == 2, f"the gateway used {upstreams} for judging, not both APIs"


def test_a_killed_worker_holding_events_loses_nothing_and_applies_nothing_twice(
    stack: Stack, gateway: str
) -> None:
    headers = organiser(stack)
    contest = open_contest(gateway, headers)
    postgres = stack.containers("postgres")[0]["name"]
    # Judging's workers wait inside their transaction (the inbox locked), so they hold read events.
    lock = threading.Thread(
        target=stack.exec,
        args=(
            postgres,
            "psql",
            "-q",
            "-d",
            "judging",
            "-c",
            "BEGIN; LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20); COMMIT;",
        ),
        kwargs={"user": "postgres"},
    )
    lock.start()
    time.sleep(1)
    posted = post_entries(gateway, contest, 20)
    holder = ""
    deadline = time.monotonic() + 15
    while not holder and time.monotonic() < deadline:
        lines = redis_cli(stack, "xpending", STREAM, "judging", "-", "+", "10").splitlines()
        holder = lines[1] if len(lines) > 1 else ""
        time.sleep(0.3)
    assert holder, "no judging worker held an event"
    host = holder.removeprefix("judging-").rsplit("-", 1)[0]
    victim = next(w for w in stack.containers("judging-worker") if w["id"].startswith(host))
    held = len(redis_cli(stack, "xpending", STREAM, "judging", "-", "+", "100", holder).splitlines()) // 4
    stack.cli("kill", "-s", "KILL", victim["name"])
    FIGURES["killed"] = f"{victim['name']} killed (SIGKILL) holding {held} unacknowledged event(s)"
    lock.join()
    wait_for(
        lambda: judged(gateway, contest, headers) == sorted(posted),
        240,
        "every entry in judging after the kill",
    )
    wait_for(lambda: redis_cli(stack, "xpending", STREAM, "judging").splitlines()[0] == "0", 120, "0 pending")
    time.sleep(2)
    assert judged(gateway, contest, headers) == sorted(posted), "an entry applied twice or lost"
    deliveries = httpx.get(
        f"{gateway}/notifications/deliveries", params={"contest_id": contest}, headers=headers, timeout=30
    )
    events = [d["event_id"] for d in deliveries.json() if d["event_type"].startswith("entry-submitted")]
    assert len(events) == len(set(events)), "a message sent twice"


def test_figures(stack: Stack) -> None:
    time.sleep(15)  # idle
    images = stack.cli("images", "--format", "{{.Repository}}:{{.Tag}}\t{{.Size}}")
    FIGURES["images"] = sorted(
        line
        for line in images.splitlines()
        if f":{TAG}\t" in line or re.search(r"(python|redis|postgres|nginx|uv):", line)
    )
    stats = stack.cli("stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}")
    FIGURES["memory"] = sorted(
        line.split(" / ")[0] for line in stats.splitlines() if line.startswith(PROJECT) and "\t0B" not in line
    )
    assert FIGURES["images"] and FIGURES["memory"]


def write_figures() -> None:
    lines = [f"# Container test ({FIGURES.get('engine', '?')})", "", "## Times (s)", ""]
    lines += [f"- build kaleidoscope/{k}: {v:.0f}" for k, v in FIGURES["build"].items()]
    lines += [f"- {k}: {v:.0f}" for k, v in FIGURES["times"].items()]
    lines += ["", "## Image sizes", "", *(f"- {x}" for x in FIGURES.get("images", []))]
    lines += ["", "## Idle memory per container", "", *(f"- {x}" for x in FIGURES.get("memory", []))]
    lines += [""] + [FIGURES[key] for key in ("killed", "links") if key in FIGURES]
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text("\n".join(lines).replace("\t", " ") + "\n")
    print("\n" + OUTPUT.read_text())
