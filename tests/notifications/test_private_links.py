"""Participants' private links and jurors' sign-in links: sealed on the bus and in every table, shown
to the organiser as `[private link]`, and in clear only in the message the recipient gets. Also the
file channel's receipt, the draft preview's limits and the moments' UTC offsets."""

from __future__ import annotations

import email
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from service_kit import (
    ZAVODISKER,
    consumer_for,
    contest_announced,
    deliver,
    entry_submitted,
    settings_for,
    wrap,
)
from sqlmodel import select

from kaleidoscope_shared.sealing import seal
from notifications.adapters.tables import DeliveryAttemptRow, DeliveryRow, EntryCopy
from notifications.bootstrap import Notifications
from notifications.main import create_app

ORGANISER = {"authorization": "Bearer organiser-dev-token"}
TOKEN = "Tk9UX0FfUkVBTF9UT0tFTl9idXRfYV9zZWNyZXRfb25l"


@pytest.fixture
async def app(database_url: str, redis_url: str, namespace: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(settings_for(database_url, redis_url, namespace, tmp_path))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=ORGANISER) as client:
        yield client


def service_of(app: FastAPI) -> Notifications:
    return app.state.notifications  # type: ignore[no-any-return]


async def send_all(service: Notifications) -> None:
    loaded = service.load_channels()
    await service.dispatcher(loaded.channels).drain()


async def submitted_and_sent(app: FastAPI, namespace: str, *, sealed: bool) -> tuple[uuid.UUID, str]:
    """An entry submitted (its link sealed, as submissions now sends it, or in clear, as before) and
    its confirmation sent through the file channel; returns the entry and its link."""
    service = service_of(app)
    contest, entry = uuid.uuid4(), uuid.uuid4()
    link = f"http://127.0.0.1:8000/entries/{entry}?token={TOKEN}"
    event = entry_submitted(contest, entry, authors=[ZAVODISKER])
    if sealed:
        key = service.settings.link_key.get_secret_value()
        event = event.model_copy(update={"private_link": None, "sealed_private_link": seal(link, key)})
    else:
        event = event.model_copy(update={"private_link": link})
    await deliver(consumer_for(service), namespace, wrap(contest_announced(contest)), wrap(event))
    await send_all(service)
    return entry, link


async def stored_text(service: Notifications) -> str:
    """Everything the service keeps about entries and deliveries, as one text."""
    async with service.runtime.sessions() as session:
        rows: list[object] = []
        for table in (EntryCopy, DeliveryRow, DeliveryAttemptRow):
            rows += list((await session.execute(select(table))).scalars())
    return "\n".join(repr(row.model_dump()) for row in rows)  # type: ignore[attr-defined]


def sent_mail(service: Notifications, delivery_id: str) -> EmailMessage:
    path = Path(service.settings.messages_dir()) / f"{delivery_id}.eml"
    return email.message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=default)  # type: ignore[return-value]


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "legacy-clear"])
async def test_the_participant_gets_the_link_and_nothing_kept_or_shown_holds_it(
    app: FastAPI, client: httpx.AsyncClient, namespace: str, sealed: bool
) -> None:
    service = service_of(app)
    entry, link = await submitted_and_sent(app, namespace, sealed=sealed)
    [delivery] = (await client.get("/deliveries", params={"recipient": str(ZAVODISKER.email)})).json()
    assert delivery["status"] == "sent"

    mail = sent_mail(service, delivery["id"])  # the e-mail itself carries the working link
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert link in text and f'href="{link}"' in html

    assert TOKEN not in await stored_text(service)  # sealed in the copies and the deliveries
    async with service.runtime.sessions() as session:
        copy = await session.get(EntryCopy, entry)
    assert copy is not None and copy.private_link and copy.private_link.startswith("sealed:v1:")

    detail = await client.get(f"/deliveries/{delivery['id']}")
    assert detail.status_code == 200 and TOKEN not in detail.text
    assert "[private link]" in detail.json()["text"] and "[private link]" in detail.json()["html"]
    assert "sealed:v1:" not in detail.text
    listed = await client.get("/deliveries")
    assert TOKEN not in listed.text and "sealed:v1:" not in listed.text


async def test_the_file_channel_names_the_file_not_the_servers_path_and_moments_carry_utc(
    app: FastAPI, client: httpx.AsyncClient, namespace: str
) -> None:
    await submitted_and_sent(app, namespace, sealed=True)
    [delivery] = (await client.get("/deliveries", params={"recipient": str(ZAVODISKER.email)})).json()
    detail = (await client.get(f"/deliveries/{delivery['id']}")).json()
    assert detail["provider_id"] == f"{delivery['id']}.eml"
    assert detail["attempt_history"][0]["provider_id"] == f"{delivery['id']}.eml"
    moments = [detail["created_at"], detail["sent_at"], detail["last_attempt_at"]]
    moments += [detail["attempt_history"][0]["started_at"], detail["attempt_history"][0]["finished_at"]]
    assert all(m.endswith(("+00:00", "Z")) for m in moments), moments


async def test_a_message_whose_link_does_not_open_with_this_key_is_not_sent(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    app = create_app(settings_for(database_url, redis_url, namespace, tmp_path))
    async with app.router.lifespan_context(app):
        service = service_of(app)
        contest, entry = uuid.uuid4(), uuid.uuid4()
        sealed = seal(f"http://x/entries/{entry}?token={TOKEN}", "another-link-key-of-some-other-service")
        event = entry_submitted(contest, entry, authors=[ZAVODISKER]).model_copy(
            update={"private_link": None, "sealed_private_link": sealed}
        )
        await deliver(consumer_for(service), namespace, wrap(contest_announced(contest)), wrap(event))
        await send_all(service)
        async with service.runtime.sessions() as session:
            [row] = (await session.execute(select(DeliveryRow))).scalars()
        assert row.status == "failed" and row.last_error and "link key" in row.last_error
        assert not written_mails(service)


def written_mails(service: Notifications) -> list[Path]:
    return list(Path(service.settings.messages_dir()).glob("*.eml"))


# --- draft previews ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "reason"),
    [
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "longer than 2 s",
        ),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}megabytes{% endfor %}{% endfor %}",
            "grew past",
        ),
        ("{{ 'x' * 1000000000 }}", "repeating"),
        ("{{ 'x'|center(1000000000) }}", "center filter"),
        ("{{ '%0999999999d' % 1 }}", "format width"),
    ],
    ids=["time", "output", "repeat", "filter-width", "format-width"],
)
async def test_a_runaway_draft_is_stopped_with_a_problem_report(
    client: httpx.AsyncClient, draft: str, reason: str
) -> None:
    response = await client.post("/templates/entry_received/en/preview", json={"text": draft})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "RenderLimitExceeded" in response.json()["detail"] and reason in response.json()["detail"]
    assert len(response.content) < 10_000


async def test_a_draft_too_long_is_refused_and_a_normal_one_still_renders(client: httpx.AsyncClient) -> None:
    too_long = await client.post("/templates/entry_received/en/preview", json={"text": "x" * 50_001})
    assert too_long.status_code == 422
    loop = "{% for i in range(50) %}{{ loop.index }} {{ entry.title|upper }}\n{% endfor %}"
    fine = await client.post("/templates/entry_received/en/preview", json={"text": loop})
    assert fine.status_code == 200 and "50 " in fine.json()["text"]
