"""contest revisions, entry revisions, libraries searchable

- `contests.revision`: 1 as published, +1 for each amendment of a published contest (the revision
  ContestAmended carries); existing contests are at 1.
- `entry_revisions`: one row per revision of an entry (when, which fields changed, the title then),
  for the organisers' view of an entry's history. Earlier revisions were not kept: an existing entry
  gets one row, for its current revision, at its last change, with the fields unknown (`changed` is
  empty) unless it is revision 1 (nothing changed) or withdrawn (`status`).
- `entries.search_document` now holds the authors' libraries too: recomputed for every entry. The
  normalisation below is a copy of `submissions.adapters.search` as it is at this revision.

Revision ID: e50786edef51
Revises: 4e8b2f6c1a97
Create Date: 2026-12-03 08:24:47.393706
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "e50786edef51"
down_revision: str | Sequence[str] | None = "4e8b2f6c1a97"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPACES = re.compile(r"\s+")
_WORD_SEPARATORS = re.compile(r"[^\w]+")

ENTRIES = sa.table(
    "entries",
    sa.column("id", sa.Uuid()),
    sa.column("contest_id", sa.Uuid()),
    sa.column("revision", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("title", sa.String()),
    sa.column("content", sa.JSON()),
    sa.column("search_document", sa.Text()),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", folded).strip()


def _search_document(content: dict[str, Any], *, libraries: bool) -> str:
    authors = content.get("authors") or []
    parts = [content.get("title") or "", *(a.get("full_name") or "" for a in authors)]
    if libraries:
        parts += [a.get("library") or "" for a in authors]
    return _fold(_WORD_SEPARATORS.sub(" ", _fold(" ".join(parts))))


def _rewrite_search_documents(*, libraries: bool) -> None:
    connection = op.get_bind()
    for entry_id, content in connection.execute(sa.select(ENTRIES.c.id, ENTRIES.c.content)).all():
        connection.execute(
            sa.update(ENTRIES)
            .where(ENTRIES.c.id == entry_id)
            .values(search_document=_search_document(content or {}, libraries=libraries))
        )


def upgrade() -> None:
    revisions = op.create_table(
        "entry_revisions",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "revision"),
    )
    with op.batch_alter_table("entry_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_revisions_contest_id"), ["contest_id"], unique=False)

    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            ENTRIES.c.id, ENTRIES.c.contest_id, ENTRIES.c.revision, ENTRIES.c.status,
            ENTRIES.c.title, ENTRIES.c.updated_at,
        )
    ).all()  # fmt: skip
    history = [
        {
            "entry_id": row.id,
            "revision": row.revision,
            "contest_id": row.contest_id,
            "at": row.updated_at,
            "changed": ["status"] if row.status == "withdrawn" else [],
            "title": row.title,
        }
        for row in rows
    ]
    if history:
        op.bulk_insert(revisions, history)
    _rewrite_search_documents(libraries=True)


def downgrade() -> None:
    _rewrite_search_documents(libraries=False)
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.drop_column("revision")

    with op.batch_alter_table("entry_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_revisions_contest_id"))

    op.drop_table("entry_revisions")
