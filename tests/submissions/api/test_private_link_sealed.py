"""A participant's token leaves submissions only in the answer to their own request: sealed in the
EntrySubmitted event (outbox and stream) and in the answer kept for idempotent retries; notifications
opens the event's link into the confirmation it sends."""

from __future__ import annotations

import email
import json
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select

from kaleidoscope_shared.contracts import ContestAnnounced, EntrySubmitted
from kaleidoscope_shared.worker import build_consumer, build_relay
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.entrypoints.bus import build_handlers
from notifications.settings import NotificationsSettings
from submissions.adapters.tables import BUS_TABLES, IdempotencyKeyRow

from .conftest import entry_body


async def test_the_event_carries_the_link_sealed_and_the_confirmation_carries_it_working(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str, tmp_path: Path
) -> None:
    answer = await client.post(f"/contests/{contest_id}/entries", json=entry_body())
    assert answer.status_code == 201
    token, link = answer.json()["token"], answer.json()["private_link"]
    assert token in link

    runtime = app.state.submissions.runtime
    async with runtime.sessions() as session:
        outbox = [row.envelope for row in (await session.execute(select(BUS_TABLES.outbox))).all()]
    assert outbox and all(token not in str(envelope) for envelope in outbox)
    relay = build_relay(runtime)
    while await relay.relay_once():
        pass
    submitted_stream: Any = await redis.xrange(EntrySubmitted.stream(namespace))
    [(submitted_id, submitted)] = submitted_stream
    assert token not in submitted[b"envelope"].decode()
    payload = json.loads(submitted[b"envelope"])["payload"]
    assert payload["private_link"] is None and payload["sealed_private_link"].startswith("sealed:v1:")

    # notifications, sharing the link key, sends the participant their confirmation with the link
    settings = NotificationsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/notifications.db",
        redis_url=app.state.submissions.settings.redis_url,
        bus_namespace=namespace,
        data_dir=str(tmp_path / "notifications"),
        default_channels=["file"],
        link_key=app.state.submissions.settings.link_key,
    )
    service = notifications_bootstrap(settings)
    await service.runtime.open()
    try:
        announced_stream: Any = await redis.xrange(ContestAnnounced.stream(namespace))
        [(announced_id, announced)] = announced_stream
        consumer = build_consumer(service.runtime, build_handlers(service.fan_out_config()))
        await consumer.handle_messages(
            [
                (ContestAnnounced.stream(namespace), announced_id, announced),
                (EntrySubmitted.stream(namespace), submitted_id, submitted),
            ]
        )
        await service.dispatcher(service.load_channels().channels).drain()
    finally:
        await service.runtime.close()
    texts = sent_texts(Path(settings.messages_dir()))
    assert texts and all(link in text for text in texts)


def sent_texts(folder: Path) -> list[str]:
    """The plain text of every message the file channel wrote."""
    texts = []
    for path in sorted(folder.glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=default)
        texts.append(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    return texts


async def test_a_retry_is_answered_with_the_token_which_is_kept_sealed(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str
) -> None:
    headers = {"Idempotency-Key": "sealed-retry"}
    first = await client.post(f"/contests/{contest_id}/entries", json=entry_body(), headers=headers)
    again = await client.post(f"/contests/{contest_id}/entries", json=entry_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.json()["token"]
    async with app.state.submissions.runtime.sessions() as session:
        [row] = (await session.execute(select(IdempotencyKeyRow))).scalars()
    stored = json.dumps(row.response)
    assert first.json()["token"] not in stored and str(first.json()["id"]) not in stored
    assert set(row.response) == {"sealed"} and row.response["sealed"].startswith("sealed:v1:")
