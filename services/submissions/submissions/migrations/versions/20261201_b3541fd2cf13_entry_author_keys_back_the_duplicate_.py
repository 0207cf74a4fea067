"""entry author keys back the duplicate and per-author limit rules with unique indexes

An author is now one identity key (the e-mail, or without one the name and library) rather than a
name or an e-mail, and `entry_author_keys` holds, per live entry and author, the digests of that key
and of the folded title, the nomination and a slot 1..limit, under two unique constraints: one entry
per author's slot in a nomination, one live entry per author and title in a contest. The table is
derived from the entries' content, so it is rebuilt rather than altered: slots are given to the live
entries in the order they were submitted; an entry that already repeated an earlier one's title by the
same author (only possible through a race before this revision) keeps its rows under a title key of
its own, so that the upgrade never fails on existing data.

The normalisation below is a copy of `submissions.domain.text` and `Author.identity_key` as they are
at this revision: a later change to those must not change what this revision wrote.

Revision ID: b3541fd2cf13
Revises: '98a930e9356a'
Create Date: 2026-12-01 05:13:15.001570
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "b3541fd2cf13"
down_revision: str | Sequence[str] | None = "98a930e9356a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPACES = re.compile(r"\s+")
_PUNCTUATION_AND_QUOTES = re.compile(r"[\"'«»„“”‘’`.,:;!?()\[\]{}…]+")

ENTRIES = sa.table(
    "entries",
    sa.column("id", sa.Uuid()),
    sa.column("contest_id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("nomination_code", sa.String()),
    sa.column("content", sa.JSON()),
    sa.column("submitted_at", sa.DateTime(timezone=True)),
)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", folded).strip()


def _title(title: str) -> str:
    return _fold(_PUNCTUATION_AND_QUOTES.sub(" ", unicodedata.normalize("NFKC", title)))


def _identity_key(author: dict[str, Any]) -> str:
    if author.get("email"):
        return f"email:{unicodedata.normalize('NFKC', author['email']).strip().casefold()}"
    return f"name:{_title(author['full_name'])}|library:{_title(author.get('library') or '')}"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _entries(*, live_only: bool) -> list[Any]:
    statement = sa.select(ENTRIES).order_by(ENTRIES.c.submitted_at, ENTRIES.c.id)
    if live_only:
        statement = statement.where(ENTRIES.c.status != "withdrawn")
    return list(op.get_bind().execute(statement).all())


def upgrade() -> None:
    op.drop_table("entry_author_keys")
    keys = op.create_table(
        "entry_author_keys",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("author_key", sa.String(length=64), nullable=False),
        sa.Column("contest_id", sa.Uuid(), nullable=False),
        sa.Column("nomination_code", sa.String(length=64), nullable=False),
        sa.Column("title_key", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "author_key"),
        sa.UniqueConstraint(
            "contest_id", "nomination_code", "author_key", "slot", name="uq_entry_author_keys_slot"
        ),
        sa.UniqueConstraint("contest_id", "author_key", "title_key", name="uq_entry_author_keys_title"),
    )
    slots: Counter[tuple[Any, str, str]] = Counter()
    titles: set[tuple[Any, str, str]] = set()
    rows = []
    for entry in _entries(live_only=True):
        title = _title(entry.content["title"])
        for key in sorted({_identity_key(author) for author in entry.content["authors"]}):
            author_key, title_key = _digest(key), _digest(title)
            if (entry.contest_id, author_key, title_key) in titles:
                title_key = _digest(f"{title}\n{entry.id}")
            titles.add((entry.contest_id, author_key, title_key))
            slots[(entry.contest_id, entry.nomination_code, author_key)] += 1
            rows.append(
                {
                    "entry_id": entry.id,
                    "author_key": author_key,
                    "contest_id": entry.contest_id,
                    "nomination_code": entry.nomination_code,
                    "title_key": title_key,
                    "slot": slots[(entry.contest_id, entry.nomination_code, author_key)],
                }
            )
    if rows:
        op.bulk_insert(keys, rows)


def downgrade() -> None:
    op.drop_table("entry_author_keys")
    keys = op.create_table(
        "entry_author_keys",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("contest_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "key"),
    )
    with op.batch_alter_table("entry_author_keys", schema=None) as batch_op:
        batch_op.create_index("ix_entry_author_keys_contest_key", ["contest_id", "key"], unique=False)
    rows = []
    for entry in _entries(live_only=False):
        old_keys = set()
        for author in entry.content["authors"]:
            old_keys.add(f"name:{_title(author['full_name'])}")
            if author.get("email"):
                old_keys.add(f"email:{author['email'].strip().casefold()}")
        rows.extend({"entry_id": entry.id, "key": key, "contest_id": entry.contest_id} for key in old_keys)
    if rows:
        op.bulk_insert(keys, rows)
