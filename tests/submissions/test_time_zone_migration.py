"""The revision that stores each contest's time zone upgrades a database holding contests on SQLite and
PostgreSQL: a contest gets the Russian zone whose offset its deadline was given with (Novokuznetsk
first, as the console used to guess), else Asia/Novokuznetsk; its nominations and rules read back
with empty English titles and consent text. Downgrading drops the column again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from alembic import command

from kaleidoscope_shared.migrations import migration_config, upgrade_to_head
from submissions.adapters.rows import contest_to_row, row_to_contest
from submissions.adapters.tables import ContestRow
from submissions.domain import SubmissionWindow

from .conftest import DURING, make_contest
from .test_author_keys_migration import run

CONTESTS: sa.Table = ContestRow.__table__  # type: ignore[attr-defined]
BEFORE = "e50786edef51"
"""The revision before contests had a time zone."""


def contest_at(offset_hours: int) -> dict[str, Any]:
    zone = timezone(timedelta(hours=offset_hours))
    window = SubmissionWindow(
        opens_at=datetime(2024, 3, 1, tzinfo=zone), closes_at=datetime(2024, 7, 1, tzinfo=zone)
    )
    row = contest_to_row(make_contest(window=window), DURING)
    values = {c.name: getattr(row, c.name) for c in CONTESTS.columns if c.name != "time_zone"}
    return values


def stored_zones(database_url: str) -> dict[Any, str]:
    def read(connection: Any) -> dict[Any, str]:
        return {r.id: r.time_zone for r in connection.execute(sa.select(CONTESTS)).all()}

    return run(database_url, read)  # type: ignore[no-any-return]


def test_each_contest_gets_the_zone_of_its_deadlines_offset(database_url: str) -> None:
    config = migration_config("submissions", database_url)
    command.upgrade(config, BEFORE)
    moscow, kemerovo, london = contest_at(3), contest_at(7), contest_at(0)
    old = [moscow, kemerovo, london]
    legacy = sa.table(
        CONTESTS.name, *(sa.column(c.name, c.type) for c in CONTESTS.columns if c.name != "time_zone")
    )
    run(database_url, lambda connection: connection.execute(legacy.insert(), old))

    upgrade_to_head("submissions", database_url)

    assert stored_zones(database_url) == {
        moscow["id"]: "Europe/Moscow",
        kemerovo["id"]: "Asia/Novokuznetsk",
        london["id"]: "Asia/Novokuznetsk",  # no Russian zone: the default
    }
    contests = run(database_url, lambda c: [row_to_contest(r) for r in c.execute(sa.select(CONTESTS)).all()])
    assert {n.title_en for c in contests for n in c.nominations} == {""}
    assert {c.rules.consent_text for c in contests} == {""}

    command.downgrade(config, BEFORE)
    columns = run(database_url, lambda c: {col["name"] for col in sa.inspect(c).get_columns("contests")})
    assert "time_zone" not in columns
