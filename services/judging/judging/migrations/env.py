"""Alembic's entry for the judging database: its models' metadata, its settings' database_url."""

from judging.adapters.tables import METADATA
from judging.settings import JudgingSettings
from kaleidoscope_shared.migrations import run_migrations

run_migrations(METADATA, JudgingSettings)
