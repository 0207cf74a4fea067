"""contest copies at the newest revision, with their deadline

ContestAmended carries the whole contest with a `revision` (1 is the announcement): the copy keeps the
highest seen, and its deadline, so that a moved deadline is told only while no later amendment has
moved it again. Copies made before this revision are at revision 1, their deadline unknown until the
next amendment.

Revision ID: 794edd20a396
Revises: 7c1e5a0d3b62
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "794edd20a396"
down_revision: str | Sequence[str] | None = "7c1e5a0d3b62"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("submissions_close_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.drop_column("submissions_close_at")
        batch_op.drop_column("revision")
