"""Turning an `OutgoingMessage` into an RFC 5322 / MIME e-mail; shared by the SMTP and file channels.

The message is written directly as bytes. The standard library's `EmailMessage` re-parses and
re-folds every non-ASCII header through its header registry, which cost about 10 ms a message here
(Russian subjects and names are the rule, and a contest's end sends ten thousand messages). The
structure is the usual one: multipart/mixed of a multipart/alternative (text, optional HTML) and the
attachments; non-ASCII headers as RFC 2047 encoded words of at most 75 characters, header lines of at
most 78 (RFC 5322 § 2.1.1), bodies in base64, CRLF line ends. Any MIME reader parses it.

Addresses: a domain written in Unicode (`почта.рф`) goes out in punycode (`xn--80a1acny.xn--p1ai`). A
local part that is not ASCII (`иван@…`) can only be written in a message sent with SMTPUTF8 (RFC 6531,
6532): `build_email(…, utf8=True)`; without it `AddressNotSendable` says why.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote

from .base import Attachment, OutgoingMessage

# Headers a template or a caller may not set: they identify the message and its parties.
_RESERVED_HEADERS = frozenset(
    {"from", "sender", "to", "cc", "bcc", "reply-to", "subject", "message-id", "date", "mime-version"}
    | {"content-type", "content-transfer-encoding", "content-disposition", "content-language"}
)
_CRLF = b"\r\n"
_HEADER_NAME = re.compile(r"^[!-9;-~]{1,60}$")  # printable ASCII but ':' (RFC 5322 field name)
_ATOM_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')
MAX_LINE = 78
"""RFC 5322 § 2.1.1: lines SHOULD be no longer than 78 characters, CRLF excluded."""
MAX_ENCODED_WORD = 75
"""RFC 2047 § 2: an encoded word is at most 75 characters long."""
_ENCODED_WORD_BYTES = 39  # 39 bytes -> 52 base64 characters: a word of 64 with its markers, which
# fits on the first line of every header this module writes ("Reply-To: " and a word: 74)


class AddressNotSendable(ValueError):
    """An address that cannot be written into this message: not an address at all, a domain that has
    no ASCII (IDNA) form, or a local part that is not ASCII in a message sent without SMTPUTF8."""


def message_id_for(delivery_id: uuid.UUID, domain: str) -> str:
    """A Message-ID derived from the delivery id alone, so a resend of a delivery carries the same id
    and mail clients and servers can recognise (and drop) the duplicate."""
    return f"<{delivery_id}@{domain}>"


def envelope_address(address: str, *, utf8: bool = False) -> str:
    """`address` as it goes on the wire: its domain in punycode, its local part as it is (which must
    then be ASCII unless the message is sent with SMTPUTF8). `AddressNotSendable` otherwise."""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c in address for c in "\r\n\t <>"):
        raise AddressNotSendable(f"{address!r} is not an e-mail address")
    if not local.isascii() and not utf8:
        raise AddressNotSendable(
            f"{address!r} has a local part that is not ASCII: it can only be sent to a mail server "
            "that offers SMTPUTF8"
        )
    return f"{local}@{ascii_domain(domain)}"


def needs_smtputf8(address: str) -> bool:
    """Whether `address` can only be written in a message sent with SMTPUTF8."""
    return not address.rpartition("@")[0].isascii()


def ascii_domain(domain: str) -> str:
    """The domain in its ASCII form: IDNA (punycode) labels for a domain written in Unicode."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise AddressNotSendable(f"the domain {domain!r} has no ASCII (IDNA) form: {exc}") from exc


def build_email(
    message: OutgoingMessage,
    *,
    sender: str,
    sender_name: str = "",
    message_id_domain: str,
    now: datetime | None = None,
    utf8: bool = False,
) -> bytes:
    """The whole MIME message as bytes: text, optional HTML alternative, attachments, custom headers.

    `message.sender_name` and `message.reply_to`, when set, win over `sender_name` and add Reply-To.
    `utf8=True` writes a message for SMTPUTF8 (addresses with non-ASCII local parts as they are)."""
    boundary = _boundary(message.delivery_id)
    headers = [
        _header("From", _mailbox(message.sender_name or sender_name, sender, utf8)),
        _header("To", _mailbox(message.recipient.name, message.recipient.address, utf8)),
    ]
    if message.reply_to:
        headers.append(_header("Reply-To", _mailbox(message.reply_to_name, message.reply_to, utf8)))
    headers += [
        _header("Subject", _unstructured(message.subject)),
        f"Message-ID: {message_id_for(message.delivery_id, message_id_domain)}",
        f"Date: {format_datetime(now or datetime.now(UTC))}",
        f"Content-Language: {_ascii_only(message.recipient.language)}",
        "MIME-Version: 1.0",
    ]
    for name, value in message.headers.items():
        if name.lower() not in _RESERVED_HEADERS and _HEADER_NAME.match(name):
            headers.append(_header(name, _unstructured(value)))
    headers.append(f'Content-Type: multipart/mixed;\r\n boundary="{boundary}"')
    parts = [_alternative(message, boundary + "a"), *(_attachment(a) for a in message.attachments)]
    head = b"".join(header.encode("utf-8" if utf8 else "ascii") + _CRLF for header in headers)
    preamble = _CRLF + b"This is a multipart message in MIME format." + _CRLF
    return head + preamble + _multipart_body(parts, boundary) + _CRLF


def _header(name: str, tokens: list[str]) -> str:
    """`name: ` and the tokens, separated by spaces and folded before a token that would take its
    line past 78 octets (RFC 6532 counts an address's UTF-8 in octets). A token is never cut: encoded
    words are short enough for any line."""
    line, lines = f"{name}:", []
    for token in tokens:
        if len(line.encode()) + 1 + len(token.encode()) > MAX_LINE and line:
            lines.append(line)
            line = ""
        line += " " + token
    return "\r\n".join([*lines, line])


def _alternative(message: OutgoingMessage, boundary: str) -> bytes:
    if message.html is None:
        return _text_part(message.text, "plain")
    head = f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"'.encode("ascii") + _CRLF
    parts = [_text_part(message.text, "plain"), _text_part(message.html, "html")]
    return head + _multipart_body(parts, boundary)


def _multipart_body(parts: list[bytes], boundary: str) -> bytes:
    """Each part after its delimiter line, then the closing delimiter (RFC 2046 § 5.1.1)."""
    delimiter = _CRLF + f"--{boundary}".encode("ascii") + _CRLF
    return b"".join(delimiter + part for part in parts) + _CRLF + f"--{boundary}--".encode("ascii")


def _text_part(text: str, subtype: str) -> bytes:
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    return head.encode("ascii") + _base64_lines(text.encode("utf-8"))


def _attachment(attachment: Attachment) -> bytes:
    filename = " ".join(attachment.filename.split())
    if filename.isascii() and len(filename) < 50 and filename.isprintable():
        disposition = f'attachment; filename="{_quoted(filename)}"'
    else:
        disposition = "attachment;" + _rfc2231_filename(filename)
    head = (
        f"Content-Type: {_ascii_only(attachment.content_type)}\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: {disposition}\r\n\r\n"
    )
    return head.encode("ascii") + _base64_lines(attachment.content)


def _rfc2231_filename(filename: str) -> str:
    """`filename*0*=utf-8''…; filename*1*=…`: percent-encoded UTF-8 in pieces of one line each."""
    encoded = quote(filename, safe="")
    pieces, at = [], 0
    while at < len(encoded):
        end = min(at + 54, len(encoded))
        while "%" in encoded[end - 2 : end] and end < len(encoded):  # never cut a %XX in two
            end -= 1
        pieces.append(encoded[at:end])
        at = end
    charset = ["utf-8''"] + [""] * (len(pieces) - 1)
    return ";".join(f"\r\n filename*{n}*={charset[n]}{piece}" for n, piece in enumerate(pieces))


def _base64_lines(data: bytes) -> bytes:
    """Base64 in lines of 76 characters, each ended by CRLF except the last. Encoded whole and then
    cut: `base64.encodebytes` encodes 57 bytes per Python step (1.5 times slower for a 50 KB PDF)."""
    encoded = binascii.b2a_base64(data, newline=False)
    return _CRLF.join([encoded[at : at + 76] for at in range(0, len(encoded), 76)])


def _mailbox(name: str, address: str, utf8: bool) -> list[str]:
    """The tokens of `Display Name <address>`: a non-ASCII (or very long, or unquotable) name as
    encoded words, each ending after a space where the name has one, so that an RFC 2047 reader,
    which drops the folding whitespace between two encoded words, reads the name exactly."""
    address = envelope_address(address, utf8=utf8)
    if not utf8:
        address = _ascii_only(address)
    angle = f"<{address}>"
    name = " ".join(name.split())
    if not name:
        return [address]
    plain = name.isascii() and name.isprintable() and "=?" not in name
    if plain and all(len(word) <= 60 for word in name.split()):
        if not _ATOM_SPECIALS.search(name):
            return [*name.split(), angle]
        if len(name) <= 60:
            return [f'"{_quoted(name)}"', angle]
    return [*_encoded_words(name), angle]


def _unstructured(text: str) -> list[str]:
    """A header value: its words as they are if it is printable ASCII, otherwise UTF-8 encoded
    words, each short enough for a folded line of its own."""
    text = " ".join(text.split())  # no line breaks or tabs may reach a header
    words = text.split(" ")
    if text.isascii() and "=?" not in text and all(len(word) <= 70 for word in words):
        return words
    return _encoded_words(text)


def _encoded_words(text: str) -> list[str]:
    return [f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=" for chunk in _utf8_chunks(text)]


def _utf8_chunks(text: str) -> Iterator[bytes]:
    """`text` in UTF-8 pieces of at most `_ENCODED_WORD_BYTES`, never splitting a character, each
    ended after the last space that fits (a word longer than a piece is cut where it must be)."""
    encoded = text.encode("utf-8")
    at = 0
    while at < len(encoded):
        end = min(at + _ENCODED_WORD_BYTES, len(encoded))
        if end < len(encoded):
            while end > at and (encoded[end] & 0xC0) == 0x80:  # a continuation byte: step back
                end -= 1
            space = encoded.rfind(b" ", at, end)
            if space > at:
                end = space + 1
        yield encoded[at:end]
        at = end


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _ascii_only(value: str) -> str:
    if not value.isascii() or "\r" in value or "\n" in value:
        raise AddressNotSendable(f"{value!r} cannot appear in an e-mail header as it is")
    return value


def _boundary(delivery_id: uuid.UUID) -> str:
    """A boundary that cannot occur in base64 text (it has '=' and '.' in it), stable per delivery."""
    return f"=_k.{hashlib.sha256(delivery_id.bytes).hexdigest()[:24]}"


def domain_of(address: str) -> str:
    return ascii_domain(address.rpartition("@")[2] or "localhost")
