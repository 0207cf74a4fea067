"""Fixtures every test may use: a real Redis, a fresh namespace on it, and a database per backend.

Redis: the server on 127.0.0.1:6379 if one answers, else an embedded one started for the session.
Databases: every test that takes `database_url` runs on SQLite and on PostgreSQL. PostgreSQL is
skipped where no server answers on 127.0.0.1:5432, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from kaleidoscope_cli.embedded_redis import RedisServer

PG_HOST, PG_PORT = "127.0.0.1", 5432


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("KALEIDOSCOPE_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    if _answers("127.0.0.1", 6379):
        yield "redis://127.0.0.1:6379/0"
        return
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture
def namespace() -> str:
    """A bus namespace of this test's own, so tests sharing one Redis never see each other's streams."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis(redis_url: str, namespace: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    keys = [key async for key in client.scan_iter(match=f"{namespace}.*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def postgres_available() -> bool:
    if _answers(PG_HOST, PG_PORT):
        return True
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but PostgreSQL does not answer on 127.0.0.1:5432")
    return False


async def _admin(statement: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for this test, on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/test.db"
        return
    if not postgres_available():
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    name = f"kaleidoscope_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def database_urls_for_processes(tmp_path: Path, count: int, backend: str) -> list[str]:
    """`count` fresh databases (one per service) for tests that start real processes."""
    if backend == "sqlite":
        return [f"sqlite+aiosqlite:///{tmp_path}/db{i}.db" for i in range(count)]
    names = [f"kaleidoscope_test_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    for name in names:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return [f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}" for name in names]
