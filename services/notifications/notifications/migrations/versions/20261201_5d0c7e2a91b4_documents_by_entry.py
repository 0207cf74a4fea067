"""documents by entry: an index for a participant's list of their entry's documents

Revision ID: 5d0c7e2a91b4
Revises: 29b94550575f
Create Date: 2026-12-01 02:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "5d0c7e2a91b4"
down_revision: str | Sequence[str] | None = "29b94550575f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_entry_id"))
