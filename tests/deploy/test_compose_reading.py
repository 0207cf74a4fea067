"""Reading a compose file as Compose does, and localising it (compose_file.py, compose_local.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .compose_file import MissingVariable, interpolate, load_compose
from .compose_local import LocalTargets, local_replica, render_gateway_config
from .deployment import GATEWAY_CONFIG, ROOT

RESOLVER_SCRIPT = ROOT / "deploy" / "gateway" / "resolver.sh"


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "1"}, "1"),
        ("${A:-x}", {}, "x"),
        ("${A:-x}", {"A": ""}, "x"),
        ("${A-x}", {"A": ""}, ""),
        ("$$A", {"A": "1"}, "$A"),
        ("$A/$B", {"A": "1", "B": "2"}, "1/2"),
        ("${A:?say it}", {"A": "set"}, "set"),
    ],
)
def test_interpolation_follows_compose(text: str, env: dict[str, str], expected: str) -> None:
    assert interpolate(text, env) == expected


def test_a_required_variable_that_is_unset_or_empty_is_refused_with_its_message() -> None:
    with pytest.raises(MissingVariable, match="TOKEN: set a token"):
        interpolate("${TOKEN:?set a token}", {"TOKEN": ""})


COMPOSE = """
x-env: &env
  APP_DATABASE_URL: postgresql+asyncpg://app:${PW:?pw}@postgres:5432/app
  APP_REDIS_URL: redis://redis:6379/0
  APP_DATA_DIR: /data
services:
  redis: {image: "redis:7"}
  postgres: {image: "postgres:15"}
  app-migrate:
    image: app
    command: ["python", "-m", "app", "migrate"]
    environment: *env
    depends_on: {postgres: {condition: service_healthy}}
  app-worker:
    image: app
    command: ["python", "-m", "app", "worker"]
    environment: {<<: *env, APP_METRICS_PORT: "9100"}
    volumes: ["app-data:/data"]
    healthcheck: {test: ["CMD", "python", "-c", "open('http://127.0.0.1:9100/metrics')"]}
    depends_on:
      app-migrate: {condition: service_completed_successfully}
      redis: {condition: service_healthy}
"""


def test_services_start_in_dependency_waves_and_one_shot_jobs_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "docker-compose.yml"
    path.write_text(COMPOSE)
    compose = load_compose(path, {"PW": "secret"})
    assert compose.start_order() == [["postgres", "redis"], ["app-migrate"], ["app-worker"]]
    assert compose.completed_before_others("app-migrate") and not compose.completed_before_others(
        "app-worker"
    )
    assert compose.database_names() == {"app"}


def test_a_replica_gets_local_hosts_ports_database_redis_namespace_and_volume(tmp_path: Path) -> None:
    path = tmp_path / "docker-compose.yml"
    path.write_text(COMPOSE)
    worker = load_compose(path, {"PW": "secret"}).services["app-worker"]
    targets = LocalTargets("redis://127.0.0.1:7000/0", {"app": "postgresql+asyncpg://h/x"}, "ns-1", tmp_path)
    replica = local_replica(worker, 1, targets)
    assert replica.spec.name == "app-worker-2"
    assert replica.spec.args == [sys.executable, "-m", "app", "worker"]
    metrics = replica.ports[9100]
    assert replica.spec.env == {
        "APP_DATABASE_URL": "postgresql+asyncpg://h/x",
        "APP_REDIS_URL": "redis://127.0.0.1:7000/0",
        "APP_DATA_DIR": str(tmp_path / "app-data"),
        "APP_METRICS_PORT": str(metrics),
        "APP_BUS_NAMESPACE": "ns-1",
    }
    assert replica.healthcheck == [sys.executable, "-c", f"open('http://127.0.0.1:{metrics}/metrics')"]


def test_the_gateway_config_is_rendered_with_one_server_per_local_replica(tmp_path: Path) -> None:
    upstreams = {
        "submissions-api": {8000: [9001]},
        "judging-api": {8000: [9002, 9003]},
        "notifications-api": {8000: [9004]},
        "web": {8000: [9005]},
    }
    config = render_gateway_config(GATEWAY_CONFIG.read_text(), upstreams, 9000, tmp_path)
    assert "server 127.0.0.1:9002;\n        server 127.0.0.1:9003;" in config
    assert "server 127.0.0.1:9005;" in config
    assert "listen 127.0.0.1:9000;" in config
    assert "resolve;" not in config
    # The resolver is not deleted: the include the container's entrypoint fills is read from run_dir.
    assert f"include {tmp_path}/resolver.conf;" in config
    assert f"pid {tmp_path}/nginx.pid;" in config


def test_the_gateway_names_no_fixed_resolver_address() -> None:
    """Docker's embedded DNS (127.0.0.11) exists on no other engine: the resolver comes from the
    container's /etc/resolv.conf at start (deploy/gateway/resolver.sh), included by nginx.conf."""
    text = GATEWAY_CONFIG.read_text()
    assert re.search(r"(?m)^\s*resolver\s", text) is None
    assert "include /etc/nginx/resolver.conf;" in text


@pytest.mark.parametrize(
    ("resolv_conf", "expected"),
    [
        ("nameserver 127.0.0.11\noptions ndots:0\n", "resolver 127.0.0.11 valid=5s ipv6=off;"),
        (
            "search dns.podman\nnameserver 10.89.0.1\nnameserver 10.89.1.1\n",
            "resolver 10.89.0.1 valid=5s ipv6=off;",
        ),
        (
            "search ns.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\nnameserver 10.0.0.2\n",
            "resolver 10.96.0.10 valid=5s ipv6=off;",
        ),
        ("nameserver fe80::1%eth0\nnameserver fd00::a\n", "resolver [fd00::a] valid=5s ipv6=off;"),
        ("# no name server\n", "resolver 127.0.0.1 valid=5s ipv6=off;"),
    ],
)
def test_the_gateway_resolver_is_the_containers_own(tmp_path: Path, resolv_conf: str, expected: str) -> None:
    (tmp_path / "resolv.conf").write_text(resolv_conf)
    env = {**os.environ, "NGINX_CONF_DIR": str(tmp_path), "RESOLV_CONF": str(tmp_path / "resolv.conf")}
    subprocess.run(["sh", str(RESOLVER_SCRIPT)], env=env, check=True, capture_output=True)
    assert (tmp_path / "resolver.conf").read_text() == expected + "\n"


def test_a_gateway_upstream_without_replicas_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="judging-api:8000"):
        render_gateway_config(GATEWAY_CONFIG.read_text(), {"submissions-api": {8000: [1]}}, 9000, tmp_path)


def test_urls_to_other_services_and_to_published_ports_point_at_their_local_stand_ins(tmp_path: Path) -> None:
    path = tmp_path / "docker-compose.yml"
    path.write_text(
        COMPOSE
        + """
  front:
    image: front
    command: ["python", "-m", "front", "api", "--port", "8000"]
    environment:
      FRONT_API_URL: http://app-api:8000
      FRONT_PUBLIC_URL: http://localhost:8080/x
      FRONT_OTHER_URL: http://elsewhere.example:8080
"""
    )
    front = load_compose(path, {"PW": "secret"}).services["front"]
    targets = LocalTargets(
        "redis://127.0.0.1:7000/0",
        {},
        "ns-1",
        tmp_path,
        services={"app-api": {8000: [9101, 9102]}},
        published={8080: 9200},
    )
    first, second = (local_replica(front, index, targets).spec.env for index in (0, 1))
    assert (first["FRONT_API_URL"], second["FRONT_API_URL"]) == (
        "http://127.0.0.1:9101",
        "http://127.0.0.1:9102",
    )
    assert first["FRONT_PUBLIC_URL"] == "http://127.0.0.1:9200/x"
    assert first["FRONT_OTHER_URL"] == "http://elsewhere.example:8080"
