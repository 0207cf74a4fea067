"""The whole system on one machine: an embedded Redis unless one is given, SQLite files, every service's
API and worker, and the web front in front of them."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .embedded_redis import RedisServer, free_port
from .processes import SERVICES, ProcessGroup, service_specs, web_spec
from .readiness import wait_until_answering

WEB = "web"
DEFAULT_WEB_PORT = 8000


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
    ports: dict[str, int] = field(default_factory=dict)
    redis: RedisServer | None = None
    group: ProcessGroup | None = None

    def start(self, timeout: float = 120.0) -> Stack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.web_port = self.web_port or free_port()
        try:
            if not self.redis_url:
                self.redis = RedisServer(self.data_dir / "redis", appendonly=True).start()
                self.redis_url = self.redis.url
            self.ports = {service: free_port() for service in SERVICES} | {WEB: self.web_port}
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
            ):
                self.group.start(spec)
            api_urls = {service: self.url(service) for service in SERVICES}
            self.group.start(web_spec(port=self.web_port, api_urls=api_urls, extra_env=self.extra_env))
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

    def stop(self) -> None:
        if self.group:
            self.group.stop()
        if self.redis:
            self.redis.stop()
