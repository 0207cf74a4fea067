"""Judging as real processes: several API replicas (uvicorn) and workers on one PostgreSQL database."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from kaleidoscope_cli.embedded_redis import free_port
from kaleidoscope_cli.processes import ProcessGroup, ProcessSpec
from kaleidoscope_cli.readiness import wait_until_answering

FAST_BUS = {
    "JUDGING_RECLAIM_IDLE_MS": "1000",
    "JUDGING_RECLAIM_INTERVAL_S": "0.3",
    "JUDGING_CONSUMER_BLOCK_MS": "200",
    "JUDGING_RELAY_LEASE_S": "2",
    "JUDGING_LOG_LEVEL": "WARNING",
}


@dataclass
class JudgingReplicas:
    database_url: str
    redis_url: str
    namespace: str
    log_dir: Path
    apis: int = 3
    workers: int = 3
    ports: list[int] = field(default_factory=list)
    group: ProcessGroup | None = None

    @property
    def env(self) -> dict[str, str]:
        return {
            "JUDGING_DATABASE_URL": self.database_url,
            "JUDGING_REDIS_URL": self.redis_url,
            "JUDGING_BUS_NAMESPACE": self.namespace,
            **FAST_BUS,
        }

    def worker_spec(self, index: int) -> ProcessSpec:
        return ProcessSpec(f"judging-worker-{index}", [sys.executable, "-m", "judging", "worker"], self.env)

    def start(self, timeout: float = 60) -> JudgingReplicas:
        self.group = ProcessGroup(self.log_dir)
        self.ports = [free_port() for _ in range(self.apis)]
        for index, port in enumerate(self.ports, start=1):
            args = [sys.executable, "-m", "judging", "api", "--host", "127.0.0.1", "--port", str(port)]
            self.group.start(ProcessSpec(f"judging-api-{index}", args, self.env))
        for index in range(1, self.workers + 1):
            self.group.start(self.worker_spec(index))
        self._wait_ready(timeout)
        return self

    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def _wait_ready(self, timeout: float) -> None:
        assert self.group is not None
        wait_until_answering(
            [f"{url}/ready" for url in self.urls()], timeout, exited=self.group.exited, logs=str(self.log_dir)
        )

    def stop(self) -> None:
        if self.group:
            self.group.stop()
