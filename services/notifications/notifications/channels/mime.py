"""Turning an `OutgoingMessage` into an RFC 5322 e-mail; shared by the SMTP and file channels."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from .base import OutgoingMessage

# Headers a template or a caller may not set: they identify the message and its parties.
_RESERVED_HEADERS = frozenset({"from", "to", "subject", "message-id", "date", "content-type"})


def message_id_for(delivery_id: uuid.UUID, domain: str) -> str:
    """A Message-ID derived from the delivery id alone, so a resend of a delivery carries the same id
    and mail clients and servers can recognise (and drop) the duplicate."""
    return f"<{delivery_id}@{domain}>"


def build_email(
    message: OutgoingMessage,
    *,
    sender: str,
    sender_name: str = "",
    message_id_domain: str,
    now: datetime | None = None,
) -> EmailMessage:
    """The whole MIME message: text, optional HTML alternative, attachments and custom headers."""
    mail = EmailMessage()
    mail["From"] = formataddr((sender_name, sender)) if sender_name else sender
    mail["To"] = _recipient_header(message.recipient.name, message.recipient.address)
    mail["Subject"] = message.subject
    mail["Message-ID"] = message_id_for(message.delivery_id, message_id_domain)
    mail["Date"] = format_datetime(now or datetime.now(UTC))
    mail["Content-Language"] = message.recipient.language
    for name, value in message.headers.items():
        if name.lower() not in _RESERVED_HEADERS:
            mail[name] = value
    mail.set_content(message.text)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        mail.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    return mail


def _recipient_header(name: str, address: str) -> str:
    if not name:
        return address
    local, _, domain = address.rpartition("@")
    return str(Address(display_name=name, username=local, domain=domain))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"
