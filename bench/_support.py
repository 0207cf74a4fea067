"""What benchmarks share: a Redis and a PostgreSQL to run against, and statistics."""

from __future__ import annotations

import asyncio
import socket
import statistics
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from kaleidoscope_cli.embedded_redis import RedisServer


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def redis_url() -> Iterator[str]:
    """The Redis on 127.0.0.1:6379 if it answers, else an embedded one for the run."""
    if answers("127.0.0.1", 6379):
        yield "redis://127.0.0.1:6379/0"
        return
    server = RedisServer(Path(tempfile.mkdtemp()) / "redis").start()
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def database_url(backend: str, folder: Path) -> Iterator[str | None]:
    """A fresh database on `backend`; None for PostgreSQL when no server answers."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder}/bench-{uuid.uuid4().hex[:8]}.db"
        return
    if not answers("127.0.0.1", 5432):
        yield None
        return
    name = f"kaleidoscope_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(statement: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
