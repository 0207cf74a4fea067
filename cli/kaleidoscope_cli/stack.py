"""The whole system on one machine: an embedded Redis unless one is given, SQLite files, every service's
API and worker, and the web front in front of them."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .embedded_redis import RedisServer, free_port
from .processes import SERVICES, ProcessGroup, service_specs, web_spec, worker_names
from .readiness import wait_until_answering
from .words import Language, say

WEB = "web"
REDIS = "redis"
DEFAULT_WEB_PORT = 8000


def port_layout(base: int, workers: dict[str, int] | None = None, *, embedded_redis: bool) -> dict[str, int]:
    """Every port of a stack whose web front is on `base`: the APIs on base+1…, then each worker's
    /metrics, then the embedded Redis (when there is one). Always the same for the same `base`."""
    names = [WEB, *SERVICES, *worker_names(workers), *([REDIS] if embedded_redis else [])]
    return {name: base + offset for offset, name in enumerate(names)}


def port_holder(port: int) -> str | None:
    """Which process listens on `port`, as "pid 123 (valkey-server)", when this machine tells (Linux's
    /proc shows the sockets of our own user's processes); None when it does not."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                # local address "0100007F:1F40", state 0A = LISTEN, inode in column 10
                if len(fields) > 9 and int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    command = " ".join(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").split())
                    return f"pid {pid} ({command[:80]})"
    return None


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port` (nor on every address)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def choose_web_port(preferred: int | None = DEFAULT_WEB_PORT) -> int:
    """`preferred` if it is free, else any free port."""
    return preferred if preferred and port_is_free(preferred) else free_port()


@dataclass
class Stack:
    data_dir: Path
    redis_url: str | None = None
    echo: Callable[[str], None] | None = None
    log_to_files: bool = False
    workers: dict[str, int] = field(default_factory=dict)
    namespace: str = "kaleidoscope"
    database_urls: dict[str, str] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # The web front's port, chosen before anything starts (the services' links start with its URL);
    # a free one when unset.
    web_port: int | None = None
    # The other ports follow the web front's at fixed offsets (port_layout) instead of free ones.
    fixed_ports: bool = False
    ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)  # a worker's name → its /metrics port
    redis_port: int | None = None  # the embedded Redis's, when there is one
    redis: RedisServer | None = None
    group: ProcessGroup | None = None

    def assign_ports(self) -> Stack:
        """Choose every port (before anything starts, so they can be printed first); idempotent."""
        if self.ports:
            return self
        self.web_port = self.web_port or free_port()
        layout = port_layout(self.web_port, self.workers, embedded_redis=not self.redis_url)
        if not self.fixed_ports:
            layout = {name: free_port() for name in layout} | {WEB: self.web_port}
        self.ports = {name: layout[name] for name in (*SERVICES, WEB)}
        self.metrics_ports = {name: layout[name] for name in worker_names(self.workers)}
        self.redis_port = layout.get(REDIS)
        return self

    def start(self, timeout: float = 120.0) -> Stack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.assign_ports()
        try:
            if not self.redis_url:
                self.redis = RedisServer(self.data_dir / "redis", self.redis_port, appendonly=True).start()
                self.redis_url = self.redis.url
            self.group = ProcessGroup(self.data_dir / "logs" if self.log_to_files else None, self.echo)
            for spec in service_specs(
                redis_url=self.redis_url,
                data_dir=self.data_dir,
                ports=self.ports,
                workers=self.workers,
                namespace=self.namespace,
                database_urls=self.database_urls,
                extra_env=self.extra_env,
                public_url=self.url(WEB),
                metrics_ports=self.metrics_ports,
            ):
                self.group.start(spec)
            api_urls = {service: self.url(service) for service in SERVICES}
            self.group.start(web_spec(port=self.ports[WEB], api_urls=api_urls, extra_env=self.extra_env))
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def url(self, service: str) -> str:
        """Where a service's API (or, for "web", the web front) answers; no trailing slash."""
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def web_url(self) -> str:
        """The web front's address, as people open it (and as the services' links start)."""
        return f"http://127.0.0.1:{self.web_port}/"

    def wait_ready(self, timeout: float) -> None:
        assert self.group is not None
        wait_until_answering(
            [f"{self.url(service)}/ready" for service in SERVICES] + [f"{self.url(WEB)}/health"],
            timeout,
            exited=self.group.exited,
            logs=str(self.data_dir / "logs"),
        )

    def exited_report(self, lines: int = 8, language: Language = "en") -> str:
        """Which processes have exited, with their exit codes and the last lines of their logs ("" when
        all run): said beside a stalled demo's error, which otherwise only sees an API not moving."""
        exited = self.group.exited() if self.group else {}
        report = []
        for name, code in exited.items():
            log = self.data_dir / "logs" / f"{name}.log"
            tail = log.read_text(errors="replace").splitlines()[-lines:] if log.exists() else []
            told = say(language, "exited", name=name, code=code)
            report.append(told + "".join(f"\n  {line}" for line in tail))
        return "".join(f"\n{entry}" for entry in report)

    def stop(self) -> None:
        if self.group:
            self.group.stop()
        if self.redis:
            self.redis.stop()
