"""The revision that brings contest revisions, entry histories and searchable libraries upgrades a
database holding entries on SQLite and PostgreSQL: each entry gets the history row of its current
revision, every search document is rewritten with the libraries, every contest is at revision 1;
downgrading takes the libraries out of the search documents again."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command

from kaleidoscope_shared.migrations import migration_config, upgrade_to_head
from submissions.adapters.rows import entry_values
from submissions.domain import Entry, EntryStatus

from .conftest import DURING, make_author, make_content
from .test_author_keys_migration import ENTRIES, run

BEFORE = "4e8b2f6c1a97"
"""The revision before contests had revisions and entries a history."""


def rows(database_url: str, table: str, *columns: str) -> list[dict[str, Any]]:
    types = {"id": sa.Uuid(), "entry_id": sa.Uuid(), "changed": sa.JSON()}
    selected = sa.table(table, *(sa.column(name, types.get(name)) for name in columns))

    def read(connection: Any) -> list[dict[str, Any]]:
        return [dict(row._mapping) for row in connection.execute(sa.select(selected)).all()]

    return run(database_url, read)  # type: ignore[no-any-return]


def test_entries_get_their_current_revision_in_history_and_searchable_libraries(database_url: str) -> None:
    config = migration_config("submissions", database_url)
    command.upgrade(config, BEFORE)
    contest_id = uuid.uuid4()
    library = "Библиотека «Ёлочка»"
    live = Entry(
        id=uuid.uuid4(),
        contest_id=contest_id,
        revision=3,
        content=make_content(title="Ёлка желаний", authors=(make_author(library=library),)),
        submitted_at=DURING,
        updated_at=DURING + timedelta(hours=2),
        token_sha256="0" * 64,
    )
    withdrawn = live.model_copy(
        update={
            "id": uuid.uuid4(),
            "revision": 2,
            "status": EntryStatus.WITHDRAWN,
            "withdrawn_at": DURING,
            "withdrawal_reason": "дубль",
        }
    )
    old = [
        entry_values(e) | {"progress": "submitted", "progress_detail": {}, "search_document": "елка желаний"}
        for e in (live, withdrawn)
    ]
    run(database_url, lambda connection: connection.execute(ENTRIES.insert(), old))

    upgrade_to_head("submissions", database_url)

    documents = {
        r["id"]: r["search_document"] for r in rows(database_url, "entries", "id", "search_document")
    }
    assert "елочка" in documents[live.id] and "заводискер" in documents[live.id]
    history = {
        r["entry_id"]: (r["revision"], r["changed"], r["title"])
        for r in rows(database_url, "entry_revisions", "entry_id", "revision", "changed", "title")
    }
    assert history == {live.id: (3, [], "Ёлка желаний"), withdrawn.id: (2, ["status"], "Ёлка желаний")}

    command.downgrade(config, BEFORE)
    documents = {
        r["id"]: r["search_document"] for r in rows(database_url, "entries", "id", "search_document")
    }
    assert "елочка" not in documents[live.id] and documents[live.id].startswith("елка желаний")
