"""The whole system on one machine: an embedded Redis unless one is given, SQLite files, every process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .embedded_redis import RedisServer, free_port
from .processes import SERVICES, ProcessGroup, service_specs


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
    ports: dict[str, int] = field(default_factory=dict)
    redis: RedisServer | None = None
    group: ProcessGroup | None = None

    def start(self, timeout: float = 60.0) -> Stack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.redis_url:
            self.redis = RedisServer(self.data_dir / "redis", appendonly=True).start()
            self.redis_url = self.redis.url
        self.ports = {service: free_port() for service in SERVICES}
        self.group = ProcessGroup(self.data_dir / "logs" if self.log_to_files else None, self.echo)
        for spec in service_specs(
            redis_url=self.redis_url,
            data_dir=self.data_dir,
            ports=self.ports,
            workers=self.workers,
            namespace=self.namespace,
            database_urls=self.database_urls,
            extra_env=self.extra_env,
        ):
            self.group.start(spec)
        self.wait_ready(timeout)
        return self

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = set(SERVICES)
        while waiting:
            assert self.group is not None
            if crashed := self.group.exited():
                raise RuntimeError(
                    f"processes exited during start-up: {crashed} (see {self.data_dir / 'logs'})"
                )
            for service in list(waiting):
                try:
                    if httpx.get(f"{self.url(service)}/ready", timeout=1).status_code == 200:
                        waiting.discard(service)
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout}s: {sorted(waiting)}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.group:
            self.group.stop()
        if self.redis:
            self.redis.stop()
