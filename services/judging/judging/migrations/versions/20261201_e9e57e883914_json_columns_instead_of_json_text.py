"""JSON columns instead of JSON text

Every JSON-shaped value was a Text column holding `json.dumps` output (`nominations_json`, `marks_json`,
…); each becomes a JSON column without the suffix (`nominations`, `marks`, …), `json` on PostgreSQL and
text on SQLite, holding the same value. Upgrading adds each new column, copies every row's parsed text
into it, then drops the text column; downgrading writes the text back the way the service wrote it.
The audit log's payload stays text (its hash covers that exact text).

Revision ID: e9e57e883914
Revises: '9517d0c85f8f'
Create Date: 2026-12-01 09:25:18.683155
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "e9e57e883914"
down_revision: str | Sequence[str] | None = "9517d0c85f8f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS: dict[str, tuple[str, ...]] = {
    "contests": ("id",),
    "entries": ("id",),
    "stages": ("id",),
    "scores": ("stage_id", "juror_id", "entry_id"),
}
"""Each converted table's primary key."""

COLUMNS: dict[str, dict[str, Any]] = {
    "contests": {"nominations": {}, "conflict_rules": []},
    "entries": {"authors": [], "links": [], "attachments": []},
    "stages": {"definition": {}, "chair_ordering": [], "awards": {}, "running_order": [], "defended": []},
    "scores": {"marks": {}},
}
"""Each converted table's JSON columns, with the value an empty text stands for."""

TEXT_SERVER_DEFAULTS = {("entries", "links"), ("entries", "attachments")}
"""The text columns that had `'[]'` as their server default."""


def _table(name: str, *, text: bool) -> sa.TableClause:
    columns = [sa.column(key, sa.Uuid()) for key in KEYS[name]]
    for column in COLUMNS[name]:
        columns.append(sa.column(f"{column}_json", sa.Text()) if text else sa.column(column, sa.JSON()))
    return sa.table(name, *columns)


def _copy(name: str, *, to_json: bool) -> None:
    """Every row's values, from the text columns into the JSON ones or back."""
    connection = op.get_bind()
    source, target = _table(name, text=to_json), _table(name, text=not to_json)
    columns = COLUMNS[name]
    read = [source.c[f"{c}_json" if to_json else c] for c in columns]
    for row in connection.execute(sa.select(*(source.c[k] for k in KEYS[name]), *read)).all():
        keys, values = row[: len(KEYS[name])], row[len(KEYS[name]) :]
        if to_json:
            new = {c: json.loads(v) if v else columns[c] for c, v in zip(columns, values, strict=True)}
        else:
            new = {f"{c}_json": _text(c, v) for c, v in zip(columns, values, strict=True)}
        where = [target.c[k] == value for k, value in zip(KEYS[name], keys, strict=True)]
        connection.execute(sa.update(target).where(*where).values(**new))


def _text(column: str, value: Any) -> str:
    # as the service wrote them: marks with sorted keys, declarations compact (pydantic's dump)
    if column == "marks":
        return json.dumps(value, sort_keys=True)
    if column in ("definition", "awards"):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False)


def upgrade() -> None:
    for name, columns in COLUMNS.items():
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, sa.JSON(), nullable=True))
        _copy(name, to_json=True)
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.JSON(), nullable=False)
                batch_op.drop_column(f"{column}_json")


def downgrade() -> None:
    for name, columns in COLUMNS.items():
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(f"{column}_json", sa.Text(), nullable=True))
        _copy(name, to_json=False)
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in columns:
                default = sa.text("'[]'") if (name, column) in TEXT_SERVER_DEFAULTS else None
                batch_op.alter_column(
                    f"{column}_json", existing_type=sa.Text(), nullable=False, server_default=default
                )
                batch_op.drop_column(column)
