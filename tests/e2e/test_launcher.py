"""The `kaleidoscope` command as a person runs it: `up` prints the web front's address first and, until
Ctrl-C, runs it with every service (no process left behind after); `demo --keep-running` leaves the
finished contest up on the web front until SIGTERM; the dead-letter commands show and replay what a
service could not apply."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import pytest
from redis import Redis

from kaleidoscope_shared.contracts import Author, EntrySubmitted, Envelope

pytestmark = pytest.mark.slow
KALEIDOSCOPE = str(Path(sys.executable).parent / "kaleidoscope")


def test_up_starts_every_process_prefixes_their_lines_and_ctrl_c_leaves_no_orphan(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KALEIDOSCOPE_REDIS_URL"}
    launcher = subprocess.Popen(
        [KALEIDOSCOPE, "up", "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        # as a shell starts a script's background job: SIGINT ignored, which Python keeps unless told
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert launcher.stdout is not None
    urls: dict[str, str] = {}
    lines: list[str] = []
    deadline = time.monotonic() + 180
    while len(urls) < 4 and time.monotonic() < deadline:
        line = launcher.stdout.readline()
        lines.append(line)
        if match := re.match(r"(Kaleidoscope|submissions|judging|notifications): (http://\S+)", line):
            urls[match[1]] = match[2]
    assert list(urls) == ["Kaleidoscope", "submissions", "judging", "notifications"], "".join(lines)
    web = urls.pop("Kaleidoscope")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", web)
    assert httpx.get(f"{web}health").status_code == 200
    for url in urls.values():
        assert httpx.get(f"{url}/ready").status_code == 200
    family = psutil.Process(launcher.pid).children(recursive=True)
    names = {" ".join(p.cmdline()) for p in family}
    assert sum("redis-server" in n for n in names) == 1
    assert sum(" api --host 127.0.0.1 " in n for n in names) == 4
    assert sum(f"-m web api --host 127.0.0.1 --port {web.split(':')[-1][:-1]}" in n for n in names) == 1
    assert sum(n.endswith(" worker") for n in names) == 3

    launcher.send_signal(signal.SIGINT)
    output, _ = launcher.communicate(timeout=60)
    assert launcher.returncode == 0
    time.sleep(0.5)
    assert [p.pid for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []
    prefixed = [line for line in "".join(lines).splitlines() + output.splitlines() if line.startswith("[")]
    assert {line.split("]")[0][1:] for line in prefixed} >= {"judging-worker", "notifications-worker"}


def test_demo_keep_running_serves_the_finished_contest_on_the_web_front_until_sigterm(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KALEIDOSCOPE_REDIS_URL"}
    launcher = subprocess.Popen(
        [KALEIDOSCOPE, "demo", "--keep-running", "--data-dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert launcher.stdout is not None
    lines = [launcher.stdout.readline()]
    first = re.fullmatch(r"Kaleidoscope: (http://127\.0\.0\.1:\d+/)\n", lines[0])
    assert first, lines[0]
    web = first[1]
    deadline = time.monotonic() + 400
    while not lines[-1].lstrip().startswith("the hall:") and time.monotonic() < deadline:
        if not (line := launcher.stdout.readline()):
            break
        lines.append(line)
    output = "".join(lines)
    assert lines[-1].lstrip().startswith("the hall:"), output
    assert output.count(f"Kaleidoscope: {web}") == 2, "printed first, and again once the demo is done"
    contest = re.search(rf"the contest: {re.escape(web)}contests/(\S+)", output)
    assert contest, output
    for page in ("", "/results", "/hall"):
        assert f"{web}contests/{contest[1]}{page}\n" in output
    links = re.findall(r"private link: (\S+)", output)
    assert links and all(link.startswith(f"{web}entries/") and "?token=" in link for link in links)
    assert httpx.get(f"{web}health").status_code == 200
    family = psutil.Process(launcher.pid).children(recursive=True)
    assert launcher.poll() is None, "still running after the summary"

    launcher.send_signal(signal.SIGTERM)
    launcher.communicate(timeout=60)
    assert launcher.returncode == 0
    time.sleep(0.5)
    assert [p.pid for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []


def test_dead_letters_are_listed_and_replayed_from_the_command_line(redis_url: str, namespace: str) -> None:
    redis = Redis.from_url(redis_url)
    dead = f"{namespace}.dead-letters.judging"
    envelope = Envelope.wrap(
        EntrySubmitted(
            entry_id=uuid.uuid4(),
            contest_id=uuid.uuid4(),
            revision=1,
            nomination_code="idea-generator",
            title="Творим историю вместе",
            authors=[Author(full_name="Протопопова Елена Эдуардовна", territory_code="novokuznetsk")],
            submitted_at=datetime.now(UTC),
        ),
        producer="submissions",
    )
    stream = EntrySubmitted.stream(namespace)
    redis.xadd(
        dead,
        {
            "stream": stream,
            "message_id": "1-0",
            "group": "judging",
            "envelope": envelope.model_dump_json(),
            "reason": "max-deliveries",
            "error": "RuntimeError('contest not found')",
            "deliveries": "5",
            "dead_at": "2026-11-26T10:00:00+00:00",
        },
    )
    common = ["--redis-url", redis_url, "--namespace", namespace]
    listed = subprocess.run(
        [KALEIDOSCOPE, "dead-letters", "list", "judging", *common], capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    assert "max-deliveries" in listed.stdout and "contest not found" in listed.stdout
    replayed = subprocess.run(
        [KALEIDOSCOPE, "dead-letters", "replay", "judging", *common], capture_output=True, text=True
    )
    assert "replayed 1 dead letter(s)" in replayed.stdout
    assert redis.xlen(dead) == 0
    [(_id, fields)] = redis.xrange(stream)
    assert Envelope.model_validate_json(fields[b"envelope"]).event_id == envelope.event_id
    redis.delete(dead, stream)
    redis.close()
