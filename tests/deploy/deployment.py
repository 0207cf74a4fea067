"""Where the deployment files are, and how the tests read them."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from kaleidoscope_shared.settings import ServiceSettings
from web.settings import WebSettings

from .compose_file import ComposeFile, ComposeService, generated_secrets, load_compose
from .compose_local import LocalCompose, LocalTargets

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
GATEWAY_CONFIG = ROOT / "deploy" / "gateway" / "nginx.conf"
INIT_DATABASES = ROOT / "deploy" / "postgres" / "init-databases.sh"
KUBERNETES = ROOT / "deploy" / "kubernetes"
SERVICES = ("submissions", "judging", "notifications")
# The web front: a deployable of its own (an image, a compose service, a Deployment), but no database,
# no worker and no migration.
WEB = "web"
DOCKERFILES = [ROOT / "services" / service / "Dockerfile" for service in (*SERVICES, WEB)]


@contextmanager
def compose_running_locally(
    tmp_path: Path, redis_url: str, namespace: str, replicas: dict[str, int], nginx: str
) -> Iterator[LocalCompose]:
    """docker-compose.yml up as local processes (tests/deploy/compose_local.py) on fresh PostgreSQL
    databases, the given Redis and namespace; everything stopped and dropped afterwards. For any test
    that runs a scenario through the gateway (`local.gateway_url()`)."""
    from ..conftest import _admin, database_urls_for_processes

    running = compose()
    names = sorted(running.database_names())
    urls = database_urls_for_processes(tmp_path, len(names), "postgresql")
    targets = LocalTargets(redis_url, dict(zip(names, urls, strict=True)), namespace, tmp_path / "data")
    local = LocalCompose(running, targets, tmp_path / "run", replicas=replicas, nginx=nginx)
    try:
        yield local.up()
    finally:
        local.down()
        for url in urls:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[-1]}" WITH (FORCE)'))


def compose() -> ComposeFile:
    """docker-compose.yml as Compose would run it, with a random value for every required secret."""
    return load_compose(COMPOSE_FILE, generated_secrets(COMPOSE_FILE))


def raw_compose() -> dict[str, Any]:
    """docker-compose.yml before interpolation (anchors resolved): what is written in the file."""
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def python_service(service: ComposeService) -> str | None:
    """The Kaleidoscope service a compose service runs (`python -m <service> ...`), if any."""
    command = service.command
    if len(command) >= 3 and command[:2] == ["python", "-m"] and command[2] in SERVICES:
        return command[2]
    return None


def web_services(running: ComposeFile) -> dict[str, ComposeService]:
    """The compose services that run the web front (`python -m web api ...`)."""
    return {name: s for name, s in running.services.items() if s.command[:3] == ["python", "-m", WEB]}


def web_settings_from(environment: dict[str, str]) -> WebSettings:
    """The web front's settings as its process would build them from exactly `environment`."""
    with mock.patch.dict(os.environ, environment, clear=True):
        return WebSettings()


def unknown_web_settings(environment: dict[str, str]) -> list[str]:
    """`WEB_*` variables that no setting of the web front reads."""
    return [
        key
        for key in environment
        if key.startswith("WEB_") and key.removeprefix("WEB_").lower() not in WebSettings.model_fields
    ]


def role(command: list[str]) -> str:
    """api, worker or migrate."""
    return command[3]


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"{service}.settings")
    return next(
        member
        for _, member in inspect.getmembers(module, inspect.isclass)
        if issubclass(member, ServiceSettings) and member is not ServiceSettings
    )


def settings_from(service: str, environment: dict[str, str]) -> ServiceSettings:
    """The service's settings as its process would build them from exactly `environment`."""
    with mock.patch.dict(os.environ, environment, clear=True):
        return settings_class(service)()


def unknown_settings(service: str, environment: dict[str, str]) -> list[str]:
    """Variables with the service's prefix that no setting reads (a typo is silently ignored)."""
    cls = settings_class(service)
    prefix = str(cls.model_config.get("env_prefix", ""))
    return [
        key
        for key in environment
        if key.startswith(prefix) and key.removeprefix(prefix).lower() not in cls.model_fields
    ]


def seconds(duration: str) -> float:
    """A compose duration (`30s`, `1m30s`) in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"not a compose duration: {duration}"
    return sum(float(number) * units[unit] for number, unit in parts)


def kubernetes_documents() -> list[dict[str, Any]]:
    return [
        document
        for path in sorted(KUBERNETES.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if document
    ]
