"""Alembic's entry for the notifications database: its models' metadata, its settings' database_url."""

from kaleidoscope_shared.migrations import run_migrations
from notifications.adapters.tables import METADATA
from notifications.settings import NotificationsSettings

run_migrations(METADATA, NotificationsSettings)
