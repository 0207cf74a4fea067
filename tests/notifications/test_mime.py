"""The e-mail builder writes MIME that the standard library reads back exactly as it was meant."""

from __future__ import annotations

import base64
import email
import uuid
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import compat32, default

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.channels import Attachment, MessageRecipient, OutgoingMessage
from notifications.channels.mime import _base64_lines, build_email

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40
MESSAGE = OutgoingMessage(
    delivery_id=uuid.UUID("44444444-4444-4444-8444-444444444444"),
    recipient=MessageRecipient("zavodisker@belovo-lib.example", "Заводискер Оксана Юрьевна", "ru"),
    subject="Межведомственный конкурс «Библиотечный калейдоскоп»: итоги, благодарственное письмо и диплом",
    text="Уважаемая Оксана Юрьевна!\n\nСпасибо за участие.\n",
    html="<p>Уважаемая <b>Оксана Юрьевна</b>!</p>",
    attachments=(
        Attachment("благодарственное-письмо.pdf", "application/pdf", PDF),
        Attachment("diploma.pdf", "application/pdf", b"%PDF-1.7 small"),
    ),
    headers={"X-Kaleidoscope-Kind": "contest_finished_participant", "List-Id": "Конкурс <c.example>"},
)


def _read(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, _class=EmailMessage, policy=default)  # type: ignore[arg-type]


def _display_name(raw: bytes, header: str) -> str:
    """The display name as an RFC 2047 reader reads it (the whitespace between two encoded words
    dropped, § 6.2); the header registry of `policy.default` keeps it, see test_email_headers."""
    value = email.message_from_bytes(raw, policy=compat32)[header]
    phrase = value.rpartition(" <")[0] if "<" in value else ""
    return str(make_header(decode_header(phrase)))


def test_headers_bodies_and_attachments_come_back_unchanged() -> None:
    raw = build_email(
        MESSAGE, sender="noreply@kaleidoscope.example", sender_name="Конкурс", message_id_domain="k.example"
    )
    mail = _read(raw)
    assert mail["Subject"] == MESSAGE.subject
    assert _display_name(raw, "To") == "Заводискер Оксана Юрьевна"
    assert mail["To"].addresses[0].addr_spec == "zavodisker@belovo-lib.example"
    assert _display_name(raw, "From") == "Конкурс"
    assert mail["Message-ID"] == "<44444444-4444-4444-8444-444444444444@k.example>"
    assert mail["Content-Language"] == "ru"
    assert mail["X-Kaleidoscope-Kind"] == "contest_finished_participant"
    assert mail["List-Id"] == "Конкурс <c.example>"
    assert mail.get_body(("plain",)).get_content() == MESSAGE.text  # type: ignore[union-attr]
    assert mail.get_body(("html",)).get_content() == MESSAGE.html  # type: ignore[union-attr]
    attachments = [(a.get_filename(), a.get_content_type(), a.get_content()) for a in mail.iter_attachments()]
    assert attachments == [(a.filename, a.content_type, a.content) for a in MESSAGE.attachments]
    assert not mail.defects and all(not part.defects for part in mail.walk())


def test_lines_are_crlf_and_short_and_the_message_is_ascii() -> None:
    raw = build_email(MESSAGE, sender="noreply@kaleidoscope.example", message_id_domain="k.example")
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_a_resend_is_byte_for_byte_the_same_message_at_the_same_time() -> None:
    now = datetime(2025, 9, 28, 12, 0, tzinfo=UTC)
    first = build_email(MESSAGE, sender="a@k.example", message_id_domain="k.example", now=now)
    assert build_email(MESSAGE, sender="a@k.example", message_id_domain="k.example", now=now) == first


@pytest.mark.parametrize("name", ['Smith, "J." <x>', "O'Brien", "Plain Name"])
def test_ascii_display_names_with_specials_are_quoted(name: str) -> None:
    message = OutgoingMessage(
        delivery_id=uuid.uuid4(), recipient=MessageRecipient("x@example.org", name), subject="Hi", text="t"
    )
    mail = _read(build_email(message, sender="a@k.example", message_id_domain="k.example"))
    assert mail["To"].addresses[0].display_name == name
    assert mail["To"].addresses[0].addr_spec == "x@example.org"


def test_a_header_cannot_be_smuggled_through_a_subject_or_a_header_name() -> None:
    message = OutgoingMessage(
        delivery_id=uuid.uuid4(),
        recipient=MessageRecipient("x@example.org"),
        subject="Hello\r\nBcc: victim@example.org",
        text="t",
        headers={"X-Bad\r\nBcc": "victim@example.org", "Bcc": "victim@example.org"},
    )
    mail = _read(build_email(message, sender="a@k.example", message_id_domain="k.example"))
    assert mail["Bcc"] is None
    assert mail["Subject"] == "Hello Bcc: victim@example.org"


@given(st.binary(max_size=400))
def test_bodies_are_base64_in_crlf_lines_of_76_as_the_standard_library_writes_them(data: bytes) -> None:
    assert _base64_lines(data) == base64.encodebytes(data).rstrip(b"\n").replace(b"\n", b"\r\n")
