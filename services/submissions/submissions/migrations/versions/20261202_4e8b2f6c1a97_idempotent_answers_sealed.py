"""idempotent answers kept sealed: the answers stored in clear are deleted

The answer replayed to a retried POST /contests/{id}/entries holds the participant's token. From this
revision on it is stored sealed with the link key (`kaleidoscope_shared.sealing`); the answers stored
before, in clear, are deleted (they are kept 24 hours at most anyway). A retry of a submission made
before the upgrade is then handled as a new request, which the duplicate rules answer.

No column changes. Downgrade does nothing.

Revision ID: 4e8b2f6c1a97
Revises: 580521d8d060
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "4e8b2f6c1a97"
down_revision: str | Sequence[str] | None = "580521d8d060"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_keys")


def downgrade() -> None:
    pass
