"""Alembic's entry for the submissions database: its models' metadata, its settings' database_url."""

from kaleidoscope_shared.migrations import run_migrations
from submissions.adapters.tables import METADATA
from submissions.settings import SubmissionsSettings

run_migrations(METADATA, SubmissionsSettings)
