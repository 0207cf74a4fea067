"""A PostgreSQL cluster of a test's own, on another loopback port, that the test may stop and start.

The machine's server on 5432 is never touched. The binaries are the machine's (`initdb`, `pg_ctl`,
found on PATH or in /usr/lib/postgresql/*/bin); as root, the cluster runs as the `postgres` user.
`available()` says whether one can be made here; in CI (CI=true) a test that needs one fails instead
of skipping.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from kaleidoscope_cli.embedded_redis import free_port


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def available() -> bool:
    return _binary("initdb") is not None and _binary("pg_ctl") is not None


class PostgresCluster:
    """`start()`, `stop()` (fast, or `immediate` — like a crash), `start()` again: the data stays."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        # Not under pytest's tmp_path: as root that folder is closed to the `postgres` user.
        self.folder = Path(tempfile.mkdtemp(prefix="kaleidoscope-pg-"))
        self.data = self.folder / "data"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.folder, user="postgres")
        self._initialised = False

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresCluster:
        if not self._initialised:
            initdb = _binary("initdb")
            assert initdb, "initdb not found"
            self._run(
                initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"
            )
            self._initialised = True
        pg_ctl = _binary("pg_ctl")
        assert pg_ctl, "pg_ctl not found"
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder}"
        options += " -c fsync=off -c max_connections=200"
        self._run(pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")
        self.wait_answering()
        return self

    def wait_answering(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"PostgreSQL on port {self.port} did not answer in {timeout} s")

    def stop(self, mode: str = "fast") -> None:
        pg_ctl = _binary("pg_ctl")
        if pg_ctl and self._initialised:
            self._run(pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def create_database(self, name: str) -> str:
        psql = _binary("psql")
        assert psql, "psql not found"
        self._run(
            psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c", f'CREATE DATABASE "{name}"'
        )
        return self.url(name)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
