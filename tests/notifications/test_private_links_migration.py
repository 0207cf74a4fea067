"""Upgrading: the links notifications stored in clear before links were sealed are sealed (what is
still to be sent) or hidden (what was sent); submissions forgets the answers it kept in clear."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import text

from kaleidoscope_shared.db import create_engine
from kaleidoscope_shared.migrations import migration_config
from kaleidoscope_shared.sealing import is_sealed, unseal
from kaleidoscope_shared.settings import DEVELOPMENT_LINK_KEY
from notifications.domain.links import reveal

LINK = f"http://127.0.0.1:8000/entries/{uuid.uuid4()}?token=c2VjcmV0LXRva2VuLW9mLXRoZS1wYXJ0aWNpcGFudA"
TICKET = "http://127.0.0.1:8000/jury/sign-in?ticket=juror-sign-in.abc.1767225600.c2ln"


def run(database_url: str, statements: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    async def go() -> list[Any]:
        engine = create_engine(database_url)
        results = []
        async with engine.begin() as connection:
            for sql, params in statements:
                result = await connection.execute(text(sql), params)
                results.append(result.all() if result.returns_rows else None)
        await engine.dispose()
        return results

    return asyncio.run(go())


def delivery(status: str, body: str) -> tuple[str, dict[str, Any]]:
    columns = {
        "id": uuid.uuid4().hex,  # as SQLAlchemy stores a UUID on SQLite
        "event_id": uuid.uuid4().hex,
        "event_type": "entry-submitted",
        "kind": "entry_received",
        "recipient": f"{status}@x.example",
        "recipient_name": "",
        "address": f"{status}@x.example",
        "language": "ru",
        "channel": "file",
        "subject": "Заявка принята",
        "text": body,
        "html": f'<a href="{LINK}">link</a>',
        "document_ids": "[]",
        "status": status,
        "attempts": 0,
        "created_at": datetime.now(UTC),
    }
    names = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    return f"INSERT INTO deliveries ({names}) VALUES ({values})", columns


def test_clear_links_are_sealed_when_still_to_send_and_hidden_when_sent(database_url: str) -> None:
    config = migration_config("notifications", database_url)
    command.upgrade(config, "fbc5f9c90fbc")
    entry = uuid.uuid4().hex  # as SQLAlchemy stores a UUID on SQLite
    body = f"Ваша ссылка: {LINK}\nЖюри: {TICKET}\n"
    run(
        database_url,
        [
            (
                "INSERT INTO entries (entry_id, contest_id, revision, title, nomination_code, authors, "
                "private_link, withdrawn, finalist) VALUES (:e, :c, 1, 't', 'n', '[]', :link, false, false)",
                {"e": entry, "c": uuid.uuid4().hex, "link": LINK},
            ),
            delivery("pending", body),
            delivery("sent", body),
        ],
    )
    command.upgrade(config, "head")
    [entries, rows] = run(
        database_url,
        [
            ("SELECT private_link FROM entries", {}),
            ("SELECT status, subject, text, html FROM deliveries ORDER BY status", {}),
        ],
    )
    [(stored_link,)] = entries
    assert is_sealed(stored_link) and unseal(stored_link, DEVELOPMENT_LINK_KEY) == LINK
    (pending, _, pending_text, pending_html), (sent, _, sent_text, sent_html) = rows
    assert (pending, sent) == ("pending", "sent")
    for stored in (pending_text, pending_html, sent_text, sent_html):
        assert "token=" not in stored and "ticket=" not in stored
    opened = reveal(pending_text, lambda sealed: unseal(sealed, DEVELOPMENT_LINK_KEY))
    assert opened == body  # still sent with its links
    assert sent_text == "Ваша ссылка: [private link]\nЖюри: [private link]\n"
    assert sent_html == '<a href="[private link]">link</a>'


def test_submissions_forgets_the_answers_it_kept_in_clear(database_url: str) -> None:
    config = migration_config("submissions", database_url)
    command.upgrade(config, "580521d8d060")
    run(
        database_url,
        [
            (
                "INSERT INTO idempotency_keys (scope, key, request_sha256, status_code, response, created_at) "
                "VALUES ('entries:x', 'k', 'h', 201, :response, :at)",
                {"response": '{"token": "clear"}', "at": datetime.now(UTC)},
            )
        ],
    )
    command.upgrade(config, "head")
    [rows] = run(database_url, [("SELECT count(*) FROM idempotency_keys", {})])
    assert rows == [(0,)]
