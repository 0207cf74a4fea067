"""Fixtures every test may use: a real Redis, a fresh namespace on it, and a database per backend.

Redis: the server on 127.0.0.1:6379 if one answers, else an embedded one started for the session.
Databases: every test that takes `database_url` runs on SQLite and on PostgreSQL. PostgreSQL is
skipped where no server answers on 127.0.0.1:5432, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import asyncio
import gc
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


# --- markers: every test gets one tier (unit, integration or e2e) from what it uses ---------------------

TIERS = ("unit", "integration", "e2e")
# Fixtures that reach something real outside the test's own process memory: a database (either backend),
# Redis, Chromium. A test that requests one of them, directly or through another fixture, is not a unit test.
RESOURCE_FIXTURES = frozenset({"database_url", "redis_url", "redis", "browser"})
# Folders whose tests run the product as processes or containers from the outside.
E2E_FOLDERS = frozenset({"e2e", "containers"})
# Folders whose tests start processes or external tools (PostgreSQL clusters, hadolint, alembic, uvicorn,
# schemathesis against a running API) even where no resource fixture shows it.
INTEGRATION_FOLDERS = frozenset({"chaos", "contract_fuzzing", "deploy"})
TESTS = Path(__file__).resolve().parent


def tier_of(item: pytest.Item) -> str:
    """The tier a test belongs to: an explicit `unit`/`integration`/`e2e` mark wins; otherwise the folder
    (tests/e2e, tests/containers → e2e), then what it uses (a resource fixture, or the `slow`/`chaos`
    marks of process-level tests → integration); everything else runs in memory and is a unit test."""
    for tier in TIERS:
        if item.get_closest_marker(tier) is not None:
            return tier
    folder = item.path.resolve().relative_to(TESTS).parts[0]
    if folder in E2E_FOLDERS:
        return "e2e"
    if folder in INTEGRATION_FOLDERS:
        return "integration"
    if RESOURCE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return "integration"
    if item.get_closest_marker("slow") is not None or item.get_closest_marker("chaos") is not None:
        return "integration"
    return "unit"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tier = tier_of(item)
        if item.get_closest_marker(tier) is None:
            item.add_marker(tier)
        if "browser" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None:
            item.add_marker("browser")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything imported and collected so far lives until the end of the session: moved out of the
    collector's reach, so that each full collection no longer walks the modules of FastAPI, SQLAlchemy,
    Hypothesis and the services again (a fifth of `make test-fast`'s CPU time)."""
    gc.collect()
    gc.freeze()
