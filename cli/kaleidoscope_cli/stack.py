"""The whole system on one machine: an embedded Redis unless one is given, SQLite files, every process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .embedded_redis import RedisServer, free_port
from .processes import SERVICES, ProcessGroup, service_specs
from .readiness import wait_until_answering


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
        assert self.group is not None
        wait_until_answering(
            [f"{self.url(service)}/ready" for service in SERVICES],
            timeout,
            exited=self.group.exited,
            logs=str(self.data_dir / "logs"),
        )

    def stop(self) -> None:
        if self.group:
            self.group.stop()
        if self.redis:
            self.redis.stop()
