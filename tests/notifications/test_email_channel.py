"""The e-mail channel against a real SMTP server (aiosmtpd) on a free loopback port."""

from __future__ import annotations

import asyncio
import email
import io
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from notify_testkit import SIGNING_KEY
from pypdf import PdfReader

from kaleidoscope_cli.embedded_redis import free_port
from notifications.channels import Attachment, ChannelError, MessageRecipient, OutgoingMessage
from notifications.channels.email import EmailChannel
from notifications.documents import DocumentFields, issue_document


class Mailbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse: str | None = None
        self.sessions: set[int] = set()
        """One per SMTP connection that said EHLO: how many connections the channel opened."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.sessions.add(id(session))
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and address == self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _server(smtputf8: bool) -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A server that does not offer SMTPUTF8."""
    yield from _server(smtputf8=False)


@pytest.fixture
def smtputf8_server() -> Iterator[tuple[Mailbox, int]]:
    yield from _server(smtputf8=True)


def _channel(port: int) -> EmailChannel:
    return EmailChannel(
        {
            "host": "127.0.0.1",
            "port": port,
            "security": "plain",
            "sender": "konkurs@kuzbass-libraries.example",
            "sender_name": "Библиотечный калейдоскоп",
            "timeout_seconds": 5,
        }
    )


def _message(to: str, attachments: tuple[Attachment, ...] = ()) -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id=uuid.UUID("6f7c1a2b-0000-4000-8000-000000000042"),
        recipient=MessageRecipient(address=to, name="Заводискер Оксана Юрьевна", language="ru"),
        subject="Поздравляем с победой в номинации «Сервис гид»!",
        text="Уважаемая Оксана Юрьевна!\n\nДиплом победителя во вложении.\n",
        html="<p>Уважаемая Оксана Юрьевна!</p>",
        attachments=attachments,
    )


def _received(mailbox: Mailbox) -> EmailMessage:
    raw = mailbox.envelopes[-1].original_content or mailbox.envelopes[-1].content
    return email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default)  # type: ignore[arg-type]


async def test_smtp_server_receives_the_winner_diploma_as_a_readable_pdf(
    smtp_server: tuple[Mailbox, int], winner_diploma_fields: DocumentFields
) -> None:
    mailbox, port = smtp_server
    diploma = issue_document(winner_diploma_fields, SIGNING_KEY)
    attachment = Attachment(diploma.filename, diploma.content_type, diploma.pdf)

    receipt = await _channel(port).send(_message("zavodisker@belovo-lib.example", (attachment,)))

    mail = _received(mailbox)
    assert mailbox.envelopes[-1].rcpt_tos == ["zavodisker@belovo-lib.example"]
    assert mail["Subject"] == "Поздравляем с победой в номинации «Сервис гид»!"
    assert receipt.provider_id == mail["Message-ID"]
    [pdf_part] = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf_part.get_filename() == diploma.filename
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_part.get_content())).pages)
    assert "Заводискер Оксана Юрьевна" in text
    assert "Сервис гид" in text
    assert diploma.code in text


async def test_a_resent_delivery_carries_the_same_message_id(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    channel = _channel(port)
    first = await channel.send(_message("a@belovo-lib.example"))
    second = await channel.send(_message("a@belovo-lib.example"))
    ids = [m["Message-ID"] for m in map(lambda e: email.message_from_bytes(e.content), mailbox.envelopes)]
    assert first == second
    assert ids == ["<6f7c1a2b-0000-4000-8000-000000000042@kuzbass-libraries.example>"] * 2


async def test_a_refused_recipient_is_a_permanent_failure(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    mailbox.refuse = "gone@belovo-lib.example"
    with pytest.raises(ChannelError) as failure:
        await _channel(port).send(_message("gone@belovo-lib.example"))
    assert failure.value.permanent


async def test_an_unreachable_smtp_server_is_worth_retrying() -> None:
    with pytest.raises(ChannelError) as failure:
        await _channel(free_port()).send(_message("a@belovo-lib.example"))
    assert not failure.value.permanent


async def test_an_internationalised_domain_is_sent_in_punycode(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    await _channel(port).send(_message("ivan@почта.рф"))
    assert mailbox.envelopes[-1].rcpt_tos == ["ivan@xn--80a1acny.xn--p1ai"]
    assert _received(mailbox)["To"].addresses[0].addr_spec == "ivan@xn--80a1acny.xn--p1ai"


async def test_a_non_ascii_mailbox_goes_with_smtputf8_where_the_server_offers_it(
    smtputf8_server: tuple[Mailbox, int],
) -> None:
    mailbox, port = smtputf8_server
    await _channel(port).send(_message("иван@почта.рф"))
    envelope = mailbox.envelopes[-1]
    assert envelope.rcpt_tos == ["иван@xn--80a1acny.xn--p1ai"]
    assert "SMTPUTF8" in envelope.mail_options
    raw = envelope.original_content
    assert isinstance(raw, bytes)
    mail = email.message_from_string(
        raw.decode("utf-8"),
        _class=EmailMessage,  # type: ignore[arg-type]
        policy=email.policy.default.clone(utf8=True),
    )
    assert mail["To"].addresses[0].username == "иван"
    assert mail.get_body(("plain",)).get_content().startswith("Уважаемая")  # type: ignore[union-attr]


async def test_a_non_ascii_mailbox_is_refused_at_once_and_for_good_where_the_server_lacks_smtputf8(
    smtp_server: tuple[Mailbox, int],
) -> None:
    mailbox, port = smtp_server
    with pytest.raises(ChannelError) as failure:
        await _channel(port).send(_message("иван@почта.рф"))
    assert failure.value.permanent
    assert "SMTPUTF8" in str(failure.value) and "иван@" in str(failure.value)
    assert mailbox.envelopes == []


async def test_a_batch_of_messages_goes_over_one_connection(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    channel = _channel(port)
    mailbox.refuse = "gone@belovo-lib.example"
    messages = [_message(f"reader{n}@belovo-lib.example") for n in range(12)]
    messages.insert(5, _message("gone@belovo-lib.example"))  # a refusal leaves the connection usable
    results = await asyncio.gather(*(channel.send(m) for m in messages), return_exceptions=True)
    assert sum(isinstance(r, ChannelError) for r in results) == 1
    for n in range(12):  # and one after another as well
        await channel.send(_message(f"again{n}@belovo-lib.example"))
    await channel.aclose()
    assert len(mailbox.envelopes) == 24
    assert len(mailbox.sessions) == 1 and channel.connections_opened == 1


async def test_a_kept_connection_that_was_closed_is_replaced(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    channel = _channel(port)
    await channel.send(_message("a@belovo-lib.example"))
    for kept in channel._idle:  # the session ends while idle
        await kept.client.quit()
    await channel.send(_message("b@belovo-lib.example"))
    await channel.aclose()
    assert [e.rcpt_tos for e in mailbox.envelopes] == [["a@belovo-lib.example"], ["b@belovo-lib.example"]]
    assert len(mailbox.sessions) == 2
