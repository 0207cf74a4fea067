"""A worker's /metrics port: served when free; when taken, the worker says so and goes on."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from kaleidoscope_cli import embedded_redis
from kaleidoscope_cli.embedded_redis import SERVER_PORTS, free_port
from kaleidoscope_shared.worker import serve_metrics


def test_a_free_port_serves_the_metrics() -> None:
    port = free_port()
    assert serve_metrics(port)
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200
    assert "python_info" in answer.text


def test_a_taken_port_is_logged_as_an_error_and_does_not_stop_the_worker() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not serve_metrics(port)


def test_ports_handed_to_servers_lie_below_the_ephemeral_range() -> None:
    # An outgoing connection's local port comes from the ephemeral range; a server port chosen there
    # may be taken by one before the server starts.
    low, _ = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    ports = {free_port() for _ in range(50)}
    assert all(port in SERVER_PORTS and port < low for port in ports)


def test_a_port_is_never_handed_out_twice_even_when_it_is_free_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stack asks for all its ports before any server binds one: each is free at its asking.
    first, second = free_port(), free_port()
    monkeypatch.setattr(embedded_redis, "_handed_out", set())
    chosen = iter([first, first, second])
    monkeypatch.setattr(embedded_redis.random, "choice", lambda _: next(chosen))
    assert [free_port(), free_port()] == [first, second]
