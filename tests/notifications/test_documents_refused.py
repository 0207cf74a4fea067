"""A document no font can print is refused, never sent with empty boxes: the delivery is dead at the
first attempt with the reason recorded for the organiser, through the real dispatcher and database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from service_kit import (
    author,
    consumer_for,
    contest_announced,
    contest_finished,
    deliver,
    entry_submitted,
    open_service,
    settings_for,
    wrap,
)
from sqlmodel import select

from notifications.adapters.tables import DeliveryRow, DocumentRow
from notifications.bootstrap import Notifications
from notifications.channels.file import FileChannel
from notifications.main import create_app


@pytest.fixture
async def service(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[Notifications]:
    service = await open_service(settings_for(database_url, redis_url, namespace, tmp_path))
    yield service
    await service.runtime.close()


async def test_a_name_no_font_has_makes_the_delivery_dead_with_the_reason(
    service: Notifications, namespace: str, tmp_path: Path
) -> None:
    contest, entry = uuid.uuid4(), uuid.uuid4()
    li = author("李小龍", "li@example.org")
    events = [contest_announced(contest), entry_submitted(contest, entry, authors=[li])]
    events.append(contest_finished(contest, [entry], []))
    await deliver(consumer_for(service), namespace, *[wrap(e) for e in events])
    dispatcher = service.dispatcher({"file": FileChannel({"path": tmp_path / "messages"})})
    await dispatcher.dispatch_once()
    async with service.runtime.sessions() as session:
        rows = list((await session.execute(select(DeliveryRow))).scalars())
    [finished] = [r for r in rows if r.kind == "contest_finished_participant"]
    assert finished.status == "dead" and finished.attempts == 1
    assert finished.last_error is not None
    assert "UnsupportedCharacters" in finished.last_error and "U+674E" in finished.last_error
    assert "recipient_name" in finished.last_error
    received = [r for r in rows if r.kind == "entry_received"]
    assert [r.status for r in received] == ["sent"]  # a message without documents still goes
    assert not list((tmp_path / "documents").glob("*.pdf"))


async def test_the_pdf_of_a_document_no_font_can_print_is_a_problem_not_a_server_error(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    app = create_app(settings_for(database_url, redis_url, namespace, tmp_path))
    async with app.router.lifespan_context(app):
        service: Notifications = app.state.notifications
        contest, entry = uuid.uuid4(), uuid.uuid4()
        li = author("李小龍", "li@example.org")
        events = [contest_announced(contest), entry_submitted(contest, entry, authors=[li])]
        events.append(contest_finished(contest, [entry], []))
        await deliver(consumer_for(service), namespace, *[wrap(e) for e in events])
        async with service.runtime.sessions() as session:
            [document, *_] = list((await session.execute(select(DocumentRow))).scalars())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(
                f"/documents/{document.document_id}/pdf",
                headers={"authorization": "Bearer organiser-dev-token"},
            )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "The document cannot be printed"
    assert "U+674E" in problem["detail"] and "recipient_name" in problem["detail"]
    assert not list((tmp_path / "documents").glob("*.pdf"))
