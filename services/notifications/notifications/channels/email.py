"""The e-mail channel: SMTP with STARTTLS, implicit TLS, or plain (development and tests only).

Every attempt at one delivery carries the same Message-ID, `<delivery id@domain>` (`mime.message_id_for`:
derived from the delivery id alone), so a message sent again after a dispatcher stopped mid-send, or
after a retried SMTP error, is recognisable: it is the receiver's key for de-duplication.

Connections are kept and reused: a batch of messages goes over one connection (`connections` of them
at most, used one message at a time), which is closed after `idle_seconds` without a message. A kept
connection the server has since closed is replaced once, transparently.

Addresses: a domain in Unicode is sent in punycode; a local part that is not ASCII needs a server
that offers SMTPUTF8, and is otherwise refused at once as a permanent failure (no retry can help).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, Literal

import aiosmtplib
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .base import Channel, ChannelError, DeliveryReceipt, OutgoingMessage
from .mime import AddressNotSendable, build_email, domain_of, envelope_address, message_id_for, needs_smtputf8


class SmtpSettings(BaseModel):
    """`security`: "starttls" (port 587), "tls" (implicit TLS, port 465) or "plain" (no encryption:
    only for a local test server)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "localhost"
    port: int = 587
    security: Literal["starttls", "tls", "plain"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "noreply@localhost"
    sender_name: str = ""
    message_id_domain: str | None = None
    timeout_seconds: float = 30.0
    connections: int = Field(1, ge=1)
    """How many SMTP connections may be open at once; each carries one message at a time."""
    idle_seconds: float = Field(30.0, ge=0)
    """A connection unused this long is closed (servers drop idle clients after a few minutes)."""


class _NoSmtpUtf8(Exception):
    """The message needs SMTPUTF8 and the server does not offer it."""


class _Connection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client
        self.last_used = time.monotonic()


class EmailChannel(Channel):
    name = "email"

    def __init__(self, config: Mapping[str, Any] | SmtpSettings) -> None:
        self.settings = config if isinstance(config, SmtpSettings) else SmtpSettings.model_validate(config)
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore | None = None
        self._closer: asyncio.TimerHandle | None = None
        self._quitting: set[asyncio.Future[None]] = set()
        self.connections_opened = 0
        """How many connections this channel has opened (a reused connection is not counted again)."""

    @property
    def _message_id_domain(self) -> str:
        return self.settings.message_id_domain or domain_of(self.settings.sender)

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        try:
            recipient = envelope_address(message.recipient.address, utf8=True)
            sender = envelope_address(self.settings.sender, utf8=True)
        except AddressNotSendable as exc:
            raise ChannelError(str(exc), permanent=True) from exc
        utf8 = needs_smtputf8(recipient) or needs_smtputf8(sender)
        try:
            mail = build_email(
                message,
                sender=self.settings.sender,
                sender_name=self.settings.sender_name,
                message_id_domain=self._message_id_domain,
                utf8=utf8,
            )
        except AddressNotSendable as exc:
            raise ChannelError(str(exc), permanent=True) from exc
        await self._submit(mail, sender, recipient, utf8)
        return DeliveryReceipt(provider_id=message_id_for(message.delivery_id, self._message_id_domain))

    async def _submit(self, mail: bytes, sender: str, recipient: str, utf8: bool) -> None:
        s = self.settings
        if self._slots is None:
            self._slots = asyncio.Semaphore(s.connections)
        async with self._slots:
            connection = self._take_idle()
            reused = connection is not None
            try:
                if connection is None:
                    connection = await self._open()
                try:
                    await self._transaction(connection, mail, sender, recipient, utf8)
                except aiosmtplib.SMTPServerDisconnected:
                    if not reused:
                        raise
                    # the kept connection was closed by the server while idle: once more, on a new one
                    self._discard(connection)
                    connection = await self._open()
                    await self._transaction(connection, mail, sender, recipient, utf8)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                self._keep(connection)
                codes = [error.code for error in exc.recipients]
                permanent = all(500 <= code < 600 for code in codes)
                raise ChannelError(f"SMTP server refused the recipient: {exc}", permanent=permanent) from exc
            except _NoSmtpUtf8 as exc:
                self._keep(connection)
                raise ChannelError(str(exc), permanent=True) from exc
            except aiosmtplib.SMTPResponseException as exc:
                if exc.code == 421:  # the server is closing this connection
                    self._discard(connection)
                else:
                    self._keep(connection)
                permanent = 500 <= exc.code < 600
                raise ChannelError(f"SMTP {exc.code}: {exc.message}", permanent=permanent) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                self._discard(connection)
                raise ChannelError(
                    f"SMTP server {s.host}:{s.port} unreachable: {exc}", permanent=False
                ) from exc
            except BaseException:
                self._discard(connection)
                raise
            self._keep(connection)

    async def _transaction(
        self, connection: _Connection, mail: bytes, sender: str, recipient: str, utf8: bool
    ) -> None:
        client = connection.client
        if client.last_ehlo_response is None:
            await client.ehlo()
        if utf8 and not client.supports_extension("smtputf8"):
            raise _NoSmtpUtf8(
                f"{recipient!r} has a local part that is not ASCII and the SMTP server "
                f"{self.settings.host}:{self.settings.port} does not offer SMTPUTF8: it cannot be sent there"
            )
        await client.sendmail(sender, [recipient], mail, mail_options=["SMTPUTF8"] if utf8 else [])

    async def _open(self) -> _Connection:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",
            username=s.username,
            password=s.password.get_secret_value() if s.password else None,
            timeout=s.timeout_seconds,
        )
        await client.connect()
        self.connections_opened += 1
        return _Connection(client)

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            fresh = time.monotonic() - connection.last_used < self.settings.idle_seconds
            if fresh and connection.client.is_connected:
                return connection
            self._discard(connection)
        return None

    def _keep(self, connection: _Connection | None) -> None:
        if connection is None:
            return
        if not connection.client.is_connected:
            self._discard(connection)
            return
        connection.last_used = time.monotonic()
        self._idle.append(connection)
        if self._closer is not None:
            self._closer.cancel()
        loop = asyncio.get_running_loop()
        self._closer = loop.call_later(self.settings.idle_seconds, self._close_idle)

    def _close_idle(self) -> None:
        self._closer = None
        idle, self._idle = self._idle, []
        for connection in idle:
            task = asyncio.ensure_future(self._quit(connection))
            self._quitting.add(task)
            task.add_done_callback(self._quitting.discard)

    def _discard(self, connection: _Connection | None) -> None:
        if connection is not None:
            connection.client.close()

    @staticmethod
    async def _quit(connection: _Connection) -> None:
        try:
            await connection.client.quit(timeout=5)
        except (aiosmtplib.SMTPException, OSError):
            connection.client.close()

    async def aclose(self) -> None:
        if self._closer is not None:
            self._closer.cancel()
            self._closer = None
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._quit(c) for c in idle))
