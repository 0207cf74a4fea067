"""The service's real channels, loaded from their entry points, against real receivers: an SMTP server
(aiosmtpd) gets the letters with their PDFs; a webhook receiver checks every signature."""

from __future__ import annotations

import email
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from notify_testkit import Received, loopback_receiver
from pypdf import PdfReader
from service_kit import (
    ZAVODISKER,
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

from kaleidoscope_cli.embedded_redis import free_port
from notifications.adapters.tables import DeliveryRow, PreferenceRow
from notifications.bootstrap import Notifications
from notifications.channels.webhook import WebhookVerificationError, generate_secret, verify


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


async def finish_contest(
    service: Notifications, namespace: str, channels: list[str], **addresses: str
) -> None:
    async with service.runtime.sessions() as session, session.begin():
        session.add(
            PreferenceRow(
                person_key=str(ZAVODISKER.email),
                channels=channels,
                addresses=addresses,
                updated_at=datetime.now(UTC),
            )
        )
    contest, entry = uuid.uuid4(), uuid.uuid4()
    events = [contest_announced(contest), entry_submitted(contest, entry, authors=[ZAVODISKER])]
    events.append(contest_finished(contest, [entry], []))  # type: ignore[arg-type]
    await deliver(consumer_for(service), namespace, *[wrap(e) for e in events])


async def send_all(service: Notifications) -> list[DeliveryRow]:
    loaded = service.load_channels()
    assert loaded.failures == []
    try:
        dispatcher = service.dispatcher(loaded.channels)
        while await dispatcher.dispatch_once():
            pass
    finally:
        for channel in loaded.channels.values():
            await channel.aclose()
    async with service.runtime.sessions() as session:
        return list((await session.execute(select(DeliveryRow))).scalars())


async def test_the_smtp_server_receives_the_letter_and_diploma_with_the_name_and_nomination(
    smtp: tuple[Mailbox, int], database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    mailbox, port = smtp
    settings = settings_for(
        database_url,
        redis_url,
        namespace,
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="plain",
    )
    service = await open_service(settings)
    try:
        await finish_contest(service, namespace, ["email"])
        rows = await send_all(service)
    finally:
        await service.runtime.close()
    mine = [r for r in rows if r.recipient == ZAVODISKER.email]
    assert {r.status for r in mine} == {"sent"}
    finished = next(m for m in mailbox.messages if len(list(m.iter_attachments())) == 2)
    assert finished["Message-ID"] == next(r.provider_id for r in mine if r.document_ids)
    for attachment in finished.iter_attachments():
        assert attachment.get_content_type() == "application/pdf"
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(attachment.get_content())).pages)
        assert "Заводискер Оксана Юрьевна" in " ".join(text.split())
        assert "Сервис гид" in text


async def test_a_webhook_receiver_verifies_our_signature_and_rejects_a_tampered_or_replayed_copy(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    secret = generate_secret()
    verdicts: list[str] = []

    def receiver_app(request: Received) -> tuple[int, bytes, str]:
        try:
            verdicts.append(verify(secret, request.headers, request.body))
            return 204, b"", "text/plain"
        except WebhookVerificationError as error:
            return 401, str(error).encode(), "text/plain"

    with loopback_receiver(receiver_app) as receiver:
        settings = settings_for(
            database_url,
            redis_url,
            namespace,
            tmp_path,
            webhook_secret=secret,
            webhook_allowed_networks=["127.0.0.0/8"],
            webhook_allow_http=True,
        )
        service = await open_service(settings)
        try:
            await finish_contest(service, namespace, ["webhook"], webhook=receiver.url + "/hook")
            rows = await send_all(service)
        finally:
            await service.runtime.close()
    mine = [r for r in rows if r.recipient == ZAVODISKER.email]
    assert {r.status for r in mine} == {"sent"} and sorted(verdicts) == sorted(str(r.id) for r in mine)
    genuine = next(r for r in receiver.requests if json.loads(r.body)["attachments"])
    assert len(json.loads(genuine.body)["attachments"]) == 2
    with pytest.raises(WebhookVerificationError, match="altered"):
        verify(secret, genuine.headers, genuine.body.replace(b"Kaleidoscope", b"Kaleidoscopf") + b" ")
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify(secret, genuine.headers, genuine.body, now=int(genuine.headers["webhook-timestamp"]) + 3600)
