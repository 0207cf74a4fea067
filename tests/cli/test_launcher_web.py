"""What `kaleidoscope up` and `kaleidoscope demo` start beside the services: the web front on a port
chosen first (8000 when free), calling the APIs, and every service's links starting at its address."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from typer.testing import CliRunner

from kaleidoscope_cli.demo import DemoOutcome
from kaleidoscope_cli.demo_summary import web_pages
from kaleidoscope_cli.main import app
from kaleidoscope_cli.processes import SERVICES, service_specs, web_spec
from kaleidoscope_cli.stack import DEFAULT_WEB_PORT, choose_web_port, port_is_free, port_layout

API_URLS = {
    "submissions": "http://127.0.0.1:1",
    "judging": "http://127.0.0.1:2",
    "notifications": "http://127.0.0.1:3",
}


def test_the_web_front_runs_as_its_own_process_calling_each_api() -> None:
    spec = web_spec(port=8123, api_urls=API_URLS, extra_env={"WEB_ENVIRONMENT": "test"})
    assert spec.name == "web"
    assert spec.args == [sys.executable, "-m", "web", "api", "--host", "127.0.0.1", "--port", "8123"]
    assert spec.env == {
        "WEB_SUBMISSIONS_URL": "http://127.0.0.1:1",
        "WEB_JUDGING_URL": "http://127.0.0.1:2",
        "WEB_NOTIFICATIONS_URL": "http://127.0.0.1:3",
        "WEB_LOG_FORMAT": "json",
        "WEB_ENVIRONMENT": "test",
    }


def test_every_service_process_gets_the_web_fronts_address_for_its_links(tmp_path: Path) -> None:
    ports = {service: 9000 + n for n, service in enumerate(SERVICES)}
    specs = service_specs(
        redis_url="redis://x", data_dir=tmp_path, ports=ports, public_url="http://127.0.0.1:8000"
    )
    assert len(specs) == 6
    for spec in specs:
        prefix = spec.name.split("-")[0].upper()
        assert spec.env[f"{prefix}_PUBLIC_BASE_URL"] == "http://127.0.0.1:8000", spec.name
    unset = service_specs(redis_url="redis://x", data_dir=tmp_path, ports=ports)
    assert not any(key.endswith("_PUBLIC_BASE_URL") for spec in unset for key in spec.env)


def test_the_web_port_is_8000_when_free_else_any_free_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        assert not port_is_free(busy)
        chosen = choose_web_port(busy)
        assert chosen != busy and port_is_free(chosen)
    assert port_is_free(busy) and choose_web_port(busy) == busy
    assert DEFAULT_WEB_PORT == 8000
    assert choose_web_port() == 8000 or not port_is_free(8000)
    assert choose_web_port(None) > 0


def test_up_refuses_a_port_that_is_taken_before_starting_anything(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["up", "--data-dir", str(tmp_path / "data"), "--port", str(busy)])
    assert result.exit_code == 2
    assert f"port {busy} is taken" in result.output
    assert not (tmp_path / "data").exists()


def test_up_puts_each_process_on_a_fixed_offset_from_the_web_fronts_port() -> None:
    assert port_layout(8000, embedded_redis=True) == {
        "web": 8000,
        "submissions": 8001,
        "judging": 8002,
        "notifications": 8003,
        "submissions-worker": 8004,
        "judging-worker": 8005,
        "notifications-worker": 8006,
        "redis": 8007,
    }
    two = port_layout(9000, {"judging": 2}, embedded_redis=False)
    assert [two[name] for name in ("judging-worker-1", "judging-worker-2", "notifications-worker")] == [
        9005,
        9006,
        9007,
    ]
    assert "redis" not in two


def test_up_refuses_when_a_services_port_is_taken_naming_the_port_and_who_holds_it(tmp_path: Path) -> None:
    for _ in range(20):  # a base whose judging API port (base + 2) we can hold
        base = choose_web_port(None)
        if base + 2 <= 65535 and port_is_free(base + 2):
            break
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 2))
        taken.listen()
        result = CliRunner().invoke(app, ["up", "--data-dir", str(tmp_path / "data"), "--port", str(base)])
    assert result.exit_code == 2
    assert f"port {base + 2} is taken by pid {os.getpid()} (" in result.output
    assert f"puts judging there (it uses ports {base}–{base + 7})" in result.output
    assert not (tmp_path / "data").exists()


def test_up_and_demo_help_name_the_web_fronts_options() -> None:
    up = CliRunner().invoke(app, ["up", "--help"], env={"COLUMNS": "120"})
    assert up.exit_code == 0 and "--port" in up.output and "web front" in up.output
    demo = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "120"})
    assert demo.exit_code == 0 and "--keep-running" in demo.output and "--language" in demo.output


def test_a_demo_kept_running_prints_the_contests_pages_on_the_web_front() -> None:
    entry = {"private_link": "http://127.0.0.1:8123/entries/e1?token=t", "content": {"title": "x"}}
    outcome = DemoOutcome("c1", {"e1": entry})
    lines = web_pages("http://127.0.0.1:8123/", outcome)
    text = "\n".join(lines)
    assert "Kaleidoscope: http://127.0.0.1:8123/" in text
    for page in ("/contests/c1", "/contests/c1/results", "/contests/c1/hall"):
        assert f"http://127.0.0.1:8123{page}\n" in text + "\n"
    assert "http://127.0.0.1:8123/entries/e1?token=t" in text
