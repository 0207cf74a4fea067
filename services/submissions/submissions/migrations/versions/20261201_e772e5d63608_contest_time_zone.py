"""contest time zone

- `contests.time_zone`: the contest's IANA time zone, in which its window is read and shown. Until now
  the console guessed it from the UTC offset the deadline was given with; an existing contest gets the
  zone that guess gives (the first of the Russian zones below whose offset at the deadline is the
  deadline's offset; Asia/Novokuznetsk, the seed contest's, first), else Asia/Novokuznetsk, the
  column's default. The nominations' English titles and descriptions and the rules' consent text are
  members of the JSON columns, absent (empty) in the contests stored before.

Revision ID: e772e5d63608
Revises: e50786edef51
Create Date: 2026-12-01 09:24:33.378515
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "e772e5d63608"
down_revision: str | Sequence[str] | None = "e50786edef51"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_ZONE = "Asia/Novokuznetsk"
RUSSIAN_ZONES = (
    DEFAULT_ZONE,
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
)

CONTESTS = sa.table(
    "contests",
    sa.column("id", sa.Uuid()),
    sa.column("window", sa.JSON()),
    sa.column("time_zone", sa.String()),
)


def zone_of_window(window: object) -> str:
    """The zone whose offset at the deadline is the offset the deadline was given with."""
    closes_at = window.get("closes_at") if isinstance(window, dict) else None
    try:
        moment = datetime.fromisoformat(str(closes_at))
    except ValueError:
        return DEFAULT_ZONE
    offset = moment.utcoffset()
    if offset is None:
        return DEFAULT_ZONE
    return next(
        (name for name in RUSSIAN_ZONES if moment.astimezone(ZoneInfo(name)).utcoffset() == offset),
        DEFAULT_ZONE,
    )


def upgrade() -> None:
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("time_zone", sa.String(length=64), server_default=DEFAULT_ZONE, nullable=False)
        )
    connection = op.get_bind()
    for contest_id, window in connection.execute(sa.select(CONTESTS.c.id, CONTESTS.c.window)).all():
        zone = zone_of_window(window)
        if zone != DEFAULT_ZONE:
            connection.execute(sa.update(CONTESTS).where(CONTESTS.c.id == contest_id).values(time_zone=zone))


def downgrade() -> None:
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
