"""Each service's Alembic revisions build exactly its models' schema, on SQLite and on PostgreSQL.

The check is Alembic's own autogenerate comparison: if a model changes without a new revision
(`make migrations`), the upgraded database differs from the models and this fails.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, inspect
from sqlalchemy.engine import Connection

from judging.adapters.tables import METADATA as JUDGING_METADATA
from kaleidoscope_shared.db import create_engine
from kaleidoscope_shared.migrations import (
    downgrade_to_base,
    generate_revision,
    schema_differences,
    upgrade_to_head,
)
from notifications.adapters.tables import METADATA as NOTIFICATIONS_METADATA
from submissions.adapters.tables import METADATA as SUBMISSIONS_METADATA

MODELS = {
    "submissions": SUBMISSIONS_METADATA,
    "judging": JUDGING_METADATA,
    "notifications": NOTIFICATIONS_METADATA,
}


def run_on(database_url: str, inspect_with: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(inspect_with)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def differences(database_url: str, metadata: MetaData) -> list[Any]:
    return run_on(database_url, lambda connection: schema_differences(connection, metadata))  # type: ignore[no-any-return]


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


@pytest.mark.parametrize("service", MODELS)
def test_upgrading_to_head_gives_exactly_the_models_schema(service: str, database_url: str) -> None:
    upgrade_to_head(service, database_url)
    found = differences(database_url, MODELS[service])
    assert found == [], (
        f"{service}'s migrations do not build its models' schema; run `make migrations` and commit the "
        f"new revision. Differences: {found}"
    )


@pytest.mark.parametrize("service", MODELS)
def test_downgrading_to_base_removes_every_table_and_upgrading_again_restores_them(
    service: str, database_url: str
) -> None:
    upgrade_to_head(service, database_url)
    downgrade_to_base(service, database_url)
    assert run_on(database_url, table_names) <= {"alembic_version"}
    upgrade_to_head(service, database_url)
    assert run_on(database_url, table_names) == set(MODELS[service].tables) | {"alembic_version"}


def test_a_model_changed_without_a_migration_is_reported(database_url: str) -> None:
    upgrade_to_head("judging", database_url)
    changed = MetaData()
    for table in JUDGING_METADATA.sorted_tables:
        table.to_metadata(changed)
    changed.tables["entries"].append_column(Column("added_without_a_migration", Integer))
    found = differences(database_url, changed)
    assert [(d[0], d[3].name) for d in found] == [("add_column", "added_without_a_migration")]


@pytest.mark.parametrize("service", MODELS)
def test_the_migrate_command_upgrades_the_database_named_by_the_settings(
    service: str, tmp_path: Path
) -> None:
    """On SQLite here; the compose-equivalence test runs the same command on PostgreSQL."""
    database_url = f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
    env_prefix = service.upper()
    result = subprocess.run(
        [sys.executable, "-m", service, "migrate"],
        env={f"{env_prefix}_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert differences(database_url, MODELS[service]) == []


@pytest.mark.parametrize("service", MODELS)
def test_make_migrations_writes_nothing_while_the_models_match_the_newest_revision(service: str) -> None:
    versions = Path(__import__(service).__file__).parent / "migrations" / "versions"
    before = set(versions.glob("*.py"))
    assert generate_revision(service, "nothing changed") is None
    assert set(versions.glob("*.py")) == before
