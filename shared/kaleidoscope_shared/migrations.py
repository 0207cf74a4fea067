"""Alembic, the same way for every service: each service keeps its revisions in `<service>/migrations/`.

A service's `migrations/env.py` is two lines, `run_migrations(METADATA, <Service>Settings)`; the database
comes from the service's settings (its `<SERVICE>_DATABASE_URL`) unless a caller hands one over in the
Alembic config. Revisions are rendered in batch mode (SQLite cannot ALTER most things in place), so one revision
serves the embedded default and PostgreSQL alike. No `alembic.ini` is needed: `migration_config` builds it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from .db import create_engine
from .settings import ServiceSettings

DATABASE_URL_ATTRIBUTE = "database_url"


def migration_config(service: str, database_url: str) -> Config:
    """The Alembic configuration of `service` (the package holding `migrations/`) on `database_url`."""
    config = Config()
    config.set_main_option("script_location", f"{service}:migrations")
    # Dated names list the revisions in the order they were written.
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    # Kept out of the ini options: they would %-interpolate a password holding a '%'.
    config.attributes[DATABASE_URL_ATTRIBUTE] = database_url
    return config


def upgrade_to_head(service: str, database_url: str) -> None:
    """Bring the service's database to the newest revision (what `python -m <service> migrate` does)."""
    command.upgrade(migration_config(service, database_url), "head")


def downgrade_to_base(service: str, database_url: str) -> None:
    command.downgrade(migration_config(service, database_url), "base")


def generate_revision(service: str, message: str) -> Path | None:
    """Autogenerate the revision that takes the newest one to the service's current models.

    It compares against a scratch SQLite database upgraded to head, so no server is needed; returns the
    new revision's file, or None (and writes nothing) when the models match the newest revision.
    """
    with tempfile.TemporaryDirectory() as scratch:
        config = migration_config(service, f"sqlite+aiosqlite:///{scratch}/head.db")
        command.upgrade(config, "head")
        config.attributes["skip_empty"] = True
        script = command.revision(config, message=message, autogenerate=True)
    scripts = script if isinstance(script, list) else [script]
    paths = [Path(s.path) for s in scripts if s is not None]
    return paths[0] if paths else None


def run_migrations(metadata: MetaData, settings_class: Callable[[], ServiceSettings]) -> None:
    """The body of a service's `migrations/env.py`: run the requested migration online."""
    config = context.config
    database_url = config.attributes.get(DATABASE_URL_ATTRIBUTE) or settings_class().database_url
    if context.is_offline_mode():
        context.configure(url=database_url, target_metadata=metadata, **_options())
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(database_url, metadata, skip_empty=bool(config.attributes.get("skip_empty"))))


async def _run_online(database_url: str, metadata: MetaData, *, skip_empty: bool) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_with_connection, metadata, skip_empty)
    finally:
        await engine.dispose()


def _run_with_connection(connection: Connection, metadata: MetaData, skip_empty: bool) -> None:
    options = _options()
    if skip_empty:
        options["process_revision_directives"] = _skip_empty_revision
    context.configure(connection=connection, target_metadata=metadata, **options)
    with context.begin_transaction():
        context.run_migrations()


def _options() -> dict[str, Any]:
    return {
        # Batch mode on every backend: SQLite needs it, PostgreSQL runs it as plain ALTERs, so a
        # revision generated against either works on both.
        "render_as_batch": True,
        "compare_type": True,
        "compare_server_default": False,
    }


def _skip_empty_revision(_context: Any, _revision: Any, directives: list[Any]) -> None:
    if directives and directives[0].upgrade_ops.is_empty():
        directives[:] = []


def schema_differences(connection: Connection, metadata: MetaData) -> list[Any]:
    """What Alembic's autogenerate sees between a migrated database and the models (empty: they match)."""
    migration_context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(migration_context, metadata))


def main(argv: list[str] | None = None) -> None:
    """`python -m kaleidoscope_shared.migrations SERVICE [MESSAGE]`: what `make migrations` runs."""
    service, *words = argv if argv is not None else sys.argv[1:]
    path = generate_revision(service, " ".join(words) or "schema change")
    print(f"{service}: {f'new revision {path}' if path else 'models match the newest revision'}")


if __name__ == "__main__":
    main()
