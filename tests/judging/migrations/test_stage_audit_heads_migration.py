"""The revision that keeps each closed stage's published audit head in its row fills it, for the stages
closed before it, from their `stage_closed` record (as the public heads were read until then), on
SQLite and PostgreSQL; a stage still open has none; downgrading drops the columns."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import command

from kaleidoscope_shared.migrations import migration_config, upgrade_to_head

from .test_json_columns_migration import run, table

BEFORE = "e9e57e883914"
"""The revision before stages kept their published head."""


def stage(contest: uuid.UUID, position: int, status: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "contest_id": contest,
        "position": position,
        "name": f"Этап {position}",
        "kind": "review",
        "blind": False,
        "status": status,
        "definition": {},
        "chair_ordering": [],
        "awards": {},
        "running_order": [],
        "defended": [],
    }


STAGE_COLUMNS = {
    "id": sa.Uuid(),
    "contest_id": sa.Uuid(),
    "position": sa.Integer(),
    "name": sa.String(),
    "kind": sa.String(),
    "blind": sa.Boolean(),
    "status": sa.String(),
    **dict.fromkeys(("definition", "chair_ordering", "awards", "running_order", "defended"), sa.JSON()),
}
LOG_COLUMNS = {
    "contest_id": sa.Uuid(),
    "sequence": sa.Integer(),
    "kind": sa.String(),
    "payload": sa.Text(),
    "previous_hash": sa.String(),
    "hash": sa.String(),
}


def test_stages_closed_before_the_revision_get_the_head_of_their_close(database_url: str) -> None:
    config = migration_config("judging", database_url)
    command.upgrade(config, BEFORE)
    contest, other = uuid.uuid4(), uuid.uuid4()
    first, second, still_open = (
        stage(contest, 1, "closed"),
        stage(contest, 2, "closed"),
        stage(contest, 3, "open"),
    )
    elsewhere = stage(other, 1, "closed")
    log = [
        (contest, 1, "juror_registered", {"name": "Анна"}),
        (contest, 2, "stage_closed", {"stage_id": str(first["id"]), "outcomes": []}),
        (contest, 3, "score_recorded", {"marks": {}}),
        (contest, 4, "stage_closed", {"stage_id": str(second["id"]), "outcomes": []}),
        (contest, 5, "juror_registered", {"name": "Борис"}),
        (other, 1, "stage_closed", {"stage_id": str(elsewhere["id"]), "outcomes": []}),
    ]

    def insert(connection: Any) -> None:
        connection.execute(table("stages", STAGE_COLUMNS).insert(), [first, second, still_open, elsewhere])
        connection.execute(
            table("audit_log", LOG_COLUMNS).insert(),
            [
                {
                    "contest_id": c,
                    "sequence": n,
                    "kind": kind,
                    "payload": json.dumps(payload, sort_keys=True),
                    "previous_hash": f"{n - 1:064x}",
                    "hash": f"{c.int % 1000:03d}{n:061x}",
                }
                for c, n, kind, payload in log
            ],
        )

    run(database_url, insert)
    upgrade_to_head("judging", database_url)

    def heads(connection: Any) -> dict[uuid.UUID, tuple[int | None, str | None]]:
        columns = {"id": sa.Uuid(), "audit_head_records": sa.Integer(), "audit_head_hash": sa.String()}
        rows = connection.execute(sa.select(table("stages", columns)))
        return {r.id: (r.audit_head_records, r.audit_head_hash) for r in rows}

    assert run(database_url, heads) == {
        first["id"]: (2, f"{contest.int % 1000:03d}{2:061x}"),
        second["id"]: (4, f"{contest.int % 1000:03d}{4:061x}"),
        still_open["id"]: (None, None),
        elsewhere["id"]: (1, f"{other.int % 1000:03d}{1:061x}"),
    }

    command.downgrade(config, BEFORE)

    def columns(connection: Any) -> set[str]:
        return {c["name"] for c in sa.inspect(connection).get_columns("stages")}

    assert not {"audit_head_records", "audit_head_hash"} & run(database_url, columns)
