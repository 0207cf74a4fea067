"""Signed webhooks: a real loopback receiver verifies them; tampering and replays are rejected."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
from notify_testkit import Received, loopback_receiver

from notifications.channels import ChannelError, MessageRecipient, OutgoingMessage
from notifications.channels.webhook import (
    WebhookChannel,
    WebhookVerificationError,
    generate_secret,
    signature_headers,
    verify,
)

SECRET = generate_secret()


class VerifyingReceiver:
    """What a subscriber would run: verify, then accept; its clock can be moved forward."""

    def __init__(self) -> None:
        self.clock_offset = 0.0
        self.verified: list[str] = []

    def __call__(self, request: Received) -> tuple[int, bytes, str]:
        try:
            msg_id = verify(SECRET, request.headers, request.body, now=time.time() + self.clock_offset)
        except WebhookVerificationError as exc:
            return 401, str(exc).encode(), "text/plain"
        self.verified.append(msg_id)
        return 204, b"", "text/plain"


def _message(address: str = "") -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id=uuid.uuid4(),
        recipient=MessageRecipient(address=address, name="Малышева Ксения Олеговна"),
        subject="Приглашение в финал конкурса",
        text="Поздравляем!",
        metadata={"kind": "final_invitation"},
    )


def _loopback_channel(url: str) -> WebhookChannel:
    return WebhookChannel(
        {"secret": SECRET, "url": url, "allowed_networks": ["127.0.0.0/8"], "allow_http": True}
    )


async def test_receiver_verifies_the_signature_of_a_sent_webhook() -> None:
    app = VerifyingReceiver()
    with loopback_receiver(app) as receiver:
        message = _message()
        receipt = await _loopback_channel(receiver.url + "/hooks").send(message)

    [request] = receiver.requests
    assert app.verified == [str(message.delivery_id)] == [receipt.provider_id]
    assert request.headers["webhook-signature"].startswith("v1,")
    assert json.loads(request.body)["subject"] == "Приглашение в финал конкурса"


async def test_receiver_rejects_a_tampered_body_and_a_replay_outside_the_tolerance() -> None:
    app = VerifyingReceiver()
    with loopback_receiver(app) as receiver:
        await _loopback_channel(receiver.url).send(_message())
        genuine = receiver.requests[0]
        async with httpx.AsyncClient() as client:
            tampered = genuine.body.replace("Поздравляем".encode(), "Увы".encode())
            tampered_answer = await client.post(receiver.url, content=tampered, headers=_signed(genuine))
            app.clock_offset = 3600  # the same genuine request, replayed an hour later
            replay_answer = await client.post(receiver.url, content=genuine.body, headers=_signed(genuine))

    assert tampered_answer.status_code == 401
    assert "altered" in tampered_answer.text
    assert replay_answer.status_code == 401
    assert "tolerance" in replay_answer.text


def _signed(request: Received) -> dict[str, str]:
    return {k: request.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}


def test_a_signature_made_with_an_old_timestamp_is_rejected() -> None:
    body = b'{"x": 1}'
    headers = signature_headers(SECRET, "msg_1", body, now=time.time() - 10 * 60)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify(SECRET, headers, body)


def test_a_signature_made_with_another_secret_is_rejected() -> None:
    body = b"{}"
    headers = signature_headers(generate_secret(), "msg_1", body)
    with pytest.raises(WebhookVerificationError):
        verify(SECRET, headers, body)


async def test_a_server_error_is_retryable_and_a_client_error_is_not() -> None:
    statuses = iter([503, 410])
    with loopback_receiver(lambda _: (next(statuses), b"no", "text/plain")) as receiver:
        channel = _loopback_channel(receiver.url)
        with pytest.raises(ChannelError) as server_error:
            await channel.send(_message())
        with pytest.raises(ChannelError) as client_error:
            await channel.send(_message())
    assert not server_error.value.permanent
    assert client_error.value.permanent


async def test_a_recipients_own_url_takes_precedence_over_the_configured_one() -> None:
    with loopback_receiver(lambda _: (200, b"", "text/plain")) as receiver:
        await _loopback_channel("https://unused.invalid/").send(_message(receiver.url + "/library-42"))
    assert receiver.requests[0].path == "/library-42"
