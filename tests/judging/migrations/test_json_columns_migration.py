"""The revision that turns judging's JSON text into JSON columns keeps every stored value, on SQLite and
PostgreSQL: contests' nominations and rules, entries' authors, links and attachments (Cyrillic
included), stages' definitions, chair orderings, awards, running orders and defences, jurors' marks;
an empty text reads as the empty value; downgrading writes the same values back as text."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import command

from kaleidoscope_shared.db import create_engine
from kaleidoscope_shared.migrations import migration_config, upgrade_to_head

BEFORE = "9517d0c85f8f"
"""The revision before judging's JSON values were JSON columns."""

NOMINATIONS = {"service-guide": "Путеводитель по услугам", "digital": "Цифровой проект"}
AUTHORS = [{"full_name": "Анна Ёлкина", "library": "ЦБС г. Кемерово", "territory_code": "kem"}]
LINKS = ["https://example.org/ёлка"]
ATTACHMENTS = [{"key": "k1", "filename": "отчёт.pdf", "media_type": "application/pdf", "size_bytes": 12}]
DEFINITION = {"name": "Отбор", "kind": "review", "criteria": [{"name": "качество", "weight": 1.0}]}
AWARDS = {"places": [{"place": 1, "prizes": [{"kind": "cash", "amount": "5000.00"}]}], "special_mentions": []}
MARKS = {"качество": 8.5, "novelty": 7.0}


def run(database_url: str, work: Any) -> Any:
    async def go() -> Any:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def table(table_name: str, columns: dict[str, Any]) -> sa.TableClause:
    return sa.table(table_name, *(sa.column(c, t) for c, t in columns.items()))


def text_rows(
    contest: uuid.UUID, entry: uuid.UUID, stage: uuid.UUID, juror: uuid.UUID
) -> dict[str, dict[str, Any]]:
    return {
        "contests": {
            "id": contest,
            "title": "Библиотечный калейдоскоп",
            "nominations_json": json.dumps(NOMINATIONS, ensure_ascii=False),
            "conflict_rules_json": json.dumps(["same_library"]),
            "submissions_closed": True,
            "finished": False,
            "revision": 1,
        },
        "entries": {
            "id": entry,
            "contest_id": contest,
            "nomination_code": "digital",
            "title": "Ёлка желаний",
            "revision": 2,
            "withdrawn": False,
            "in_submissions_list": True,
            "annotation": "",
            "authors_json": json.dumps(AUTHORS, ensure_ascii=False),
            "links_json": json.dumps(LINKS, ensure_ascii=False),
            "attachments_json": json.dumps(ATTACHMENTS, ensure_ascii=False),
        },
        "stages": {
            "id": stage,
            "contest_id": contest,
            "position": 1,
            "name": "Отбор",
            "kind": "final",
            "blind": False,
            "status": "open",
            "definition_json": json.dumps(DEFINITION, ensure_ascii=False, separators=(",", ":")),
            "chair_ordering_json": "",
            "awards_json": json.dumps(AWARDS),
            "running_order_json": json.dumps([str(entry)]),
            "defended_json": json.dumps([str(entry)]),
        },
        "scores": {
            "stage_id": stage,
            "juror_id": juror,
            "entry_id": entry,
            "marks_json": json.dumps(MARKS, sort_keys=True),
            "revision": 1,
        },
    }


UUIDS = {"id", "contest_id", "stage_id", "juror_id", "entry_id"}


def insert(database_url: str, rows: dict[str, dict[str, Any]]) -> None:
    def work(connection: Any) -> None:
        for name, row in rows.items():
            columns = {c: sa.Uuid() if c in UUIDS else None for c in row}
            connection.execute(table(name, columns).insert(), [row])

    run(database_url, work)


def read(database_url: str, name: str, columns: dict[str, Any]) -> dict[str, Any]:
    def work(connection: Any) -> dict[str, Any]:
        return dict(connection.execute(sa.select(table(name, columns))).one()._mapping)

    return run(database_url, work)  # type: ignore[no-any-return]


def test_json_text_becomes_json_columns_with_the_same_values_and_back(database_url: str) -> None:
    config = migration_config("judging", database_url)
    command.upgrade(config, BEFORE)
    contest, entry, stage, juror = (uuid.uuid4() for _ in range(4))
    insert(database_url, text_rows(contest, entry, stage, juror))

    upgrade_to_head("judging", database_url)

    JSON = sa.JSON()
    assert read(database_url, "contests", {"nominations": JSON, "conflict_rules": JSON}) == {
        "nominations": NOMINATIONS,
        "conflict_rules": ["same_library"],
    }
    assert read(database_url, "entries", {"authors": JSON, "links": JSON, "attachments": JSON}) == {
        "authors": AUTHORS,
        "links": LINKS,
        "attachments": ATTACHMENTS,
    }
    stage_columns = ("definition", "chair_ordering", "awards", "running_order", "defended")
    assert read(database_url, "stages", dict.fromkeys(stage_columns, JSON)) == {
        "definition": DEFINITION,
        "chair_ordering": [],
        "awards": AWARDS,
        "running_order": [str(entry)],
        "defended": [str(entry)],
    }
    assert read(database_url, "scores", {"marks": JSON}) == {"marks": MARKS}

    command.downgrade(config, BEFORE)
    text = read(database_url, "stages", {f"{c}_json": sa.Text() for c in stage_columns})
    assert {c: json.loads(text[f"{c}_json"]) for c in stage_columns} == {
        "definition": DEFINITION,
        "chair_ordering": [],
        "awards": AWARDS,
        "running_order": [str(entry)],
        "defended": [str(entry)],
    }
    entries = read(database_url, "entries", {"authors_json": sa.Text(), "links_json": sa.Text()})
    assert json.loads(entries["authors_json"]) == AUTHORS and json.loads(entries["links_json"]) == LINKS
    marks = read(database_url, "scores", {"marks_json": sa.Text()})["marks_json"]
    assert marks == json.dumps(MARKS, sort_keys=True)
    nominations = read(database_url, "contests", {"nominations_json": sa.Text()})["nominations_json"]
    assert json.loads(nominations) == NOMINATIONS
