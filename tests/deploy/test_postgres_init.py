"""deploy/postgres/init-databases.sh, run against the local PostgreSQL as the postgres image runs it:
one database per name in KALEIDOSCOPE_DATABASES, owned by a role of its own with its own password."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid

import pytest

from ..conftest import PG_HOST, PG_PORT, _admin, postgres_available
from .deployment import INIT_DATABASES


@pytest.fixture
def database_names() -> list[str]:
    if not postgres_available():
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    if shutil.which("psql") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but psql is not installed (apt-get install -y postgresql-client)")
        pytest.skip("psql is not installed")
    names = [f"kaleidoscope_init_{uuid.uuid4().hex[:8]}_{i}" for i in range(2)]
    yield names
    for name in names:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(_admin(f'DROP ROLE IF EXISTS "{name}"'))


def run_init(names: list[str], passwords: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "PGHOST": PG_HOST,
        "PGPORT": str(PG_PORT),
        "POSTGRES_USER": "postgres",
        "KALEIDOSCOPE_DATABASES": " ".join(names),
        **passwords,
    }
    return subprocess.run(["sh", str(INIT_DATABASES)], env=env, capture_output=True, text=True, timeout=60)


def test_each_database_is_created_and_owned_by_its_own_role(database_names: list[str]) -> None:
    passwords = {f"{name.upper()}_DB_PASSWORD": f"pw-{name}" for name in database_names}
    result = run_init(database_names, passwords)
    assert result.returncode == 0, result.stderr

    async def owners() -> dict[str, str]:
        import asyncpg  # type: ignore[import-untyped]

        connection = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
        try:
            rows = await connection.fetch(
                "SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ANY($1)",
                database_names,
            )
            return {row["datname"]: row["owner"] for row in rows}
        finally:
            await connection.close()

    assert asyncio.run(owners()) == {name: name for name in database_names}


def test_a_missing_password_stops_the_initialisation(database_names: list[str]) -> None:
    result = run_init(database_names[:1], {})
    assert result.returncode != 0
    assert f"set {database_names[0].upper()}_DB_PASSWORD" in result.stderr
