"""Starting every service's API and worker, and the web front, as separate processes, and stopping
them all cleanly.

Each process runs in its own session (process group), so a stop reaches its children too and no
orphan is left; each output line is prefixed by the process's name (or written to its log file).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

SERVICES = ("submissions", "judging", "notifications")


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)


def service_specs(
    *,
    redis_url: str,
    data_dir: Path,
    ports: dict[str, int],
    database_urls: dict[str, str] | None = None,
    namespace: str = "kaleidoscope",
    extra_env: dict[str, str] | None = None,
    workers: dict[str, int] | None = None,
    public_url: str | None = None,
    metrics_ports: dict[str, int] | None = None,
) -> list[ProcessSpec]:
    """An API and one or more workers per service, configured through their `<SERVICE>_*` variables.
    `public_url` is the web front's address: the links the services hand out start with it;
    `metrics_ports` maps a worker's name (`judging-worker`) to the port of its /metrics."""
    specs = []
    for service in SERVICES:
        prefix = service.upper()
        env = {
            f"{prefix}_REDIS_URL": redis_url,
            f"{prefix}_DATA_DIR": str(data_dir),
            f"{prefix}_BUS_NAMESPACE": namespace,
            f"{prefix}_LOG_FORMAT": "json",
            **({f"{prefix}_PUBLIC_BASE_URL": public_url} if public_url else {}),
            **({f"{prefix}_DATABASE_URL": database_urls[service]} if database_urls else {}),
            **(extra_env or {}),
        }
        api = [sys.executable, "-m", service, "api", "--host", "127.0.0.1", "--port", str(ports[service])]
        specs.append(ProcessSpec(f"{service}-api", api, env))
        for name in service_worker_names(service, workers):
            port = (metrics_ports or {}).get(name)
            metrics = {f"{prefix}_METRICS_PORT": str(port)} if port else {}
            specs.append(ProcessSpec(name, [sys.executable, "-m", service, "worker"], env | metrics))
    return specs


def service_worker_names(service: str, workers: dict[str, int] | None = None) -> list[str]:
    """`judging-worker`, or `judging-worker-1`, `judging-worker-2`… when it runs more than one."""
    count = (workers or {}).get(service, 1)
    return [f"{service}-worker" + (f"-{index + 1}" if count > 1 else "") for index in range(count)]


def worker_names(workers: dict[str, int] | None = None) -> list[str]:
    """Every service's workers, in the order of SERVICES."""
    return [name for service in SERVICES for name in service_worker_names(service, workers)]


def web_spec(*, port: int, api_urls: dict[str, str], extra_env: dict[str, str] | None = None) -> ProcessSpec:
    """The web front (`python -m web api`), calling each service's API at `api_urls[service]`."""
    env = {
        **{f"WEB_{service.upper()}_URL": api_urls[service] for service in SERVICES},
        "WEB_LOG_FORMAT": "json",
        **(extra_env or {}),
    }
    args = [sys.executable, "-m", "web", "api", "--host", "127.0.0.1", "--port", str(port)]
    return ProcessSpec("web", args, env)


class ProcessGroup:
    def __init__(self, log_dir: Path | None = None, echo: Callable[[str], None] | None = None) -> None:
        self.log_dir = log_dir
        self.echo = echo
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._threads: list[threading.Thread] = []

    def start(self, spec: ProcessSpec) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            spec.args,
            env={**os.environ, **spec.env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[spec.name] = process
        assert process.stdout is not None
        thread = threading.Thread(target=self._pump, args=(spec.name, process.stdout), daemon=True)
        thread.start()
        self._threads.append(thread)
        return process

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        log = None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = (self.log_dir / f"{name}.log").open("ab")
        for line in iter(stream.readline, b""):
            if log:
                log.write(line)
                log.flush()
            if self.echo:
                self.echo(f"[{name}] {line.decode(errors='replace').rstrip()}")
        if log:
            log.close()

    def kill(self, name: str) -> None:
        """kill -9 one process (and its process group), as a crash would."""
        process = self.processes[name]
        _signal_group(process, signal.SIGKILL)
        process.wait()

    def stop(self, name: str | None = None, timeout: float = 10.0) -> None:
        """SIGTERM (a graceful stop), then SIGKILL for what is still running after `timeout`."""
        chosen = [self.processes[name]] if name else list(self.processes.values())
        for process in chosen:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in chosen:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()

    def exited(self) -> dict[str, int]:
        return {name: code for name, p in self.processes.items() if (code := p.poll()) is not None}


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
