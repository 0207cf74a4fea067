"""The e-mail channel: SMTP with STARTTLS, implicit TLS, or plain (development and tests only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import aiosmtplib
from pydantic import BaseModel, ConfigDict, SecretStr

from .base import Channel, ChannelError, DeliveryReceipt, OutgoingMessage
from .mime import build_email, domain_of, message_id_for


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


class EmailChannel(Channel):
    name = "email"

    def __init__(self, config: Mapping[str, Any] | SmtpSettings) -> None:
        self.settings = config if isinstance(config, SmtpSettings) else SmtpSettings.model_validate(config)

    @property
    def _message_id_domain(self) -> str:
        return self.settings.message_id_domain or domain_of(self.settings.sender)

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        if "@" not in message.recipient.address:
            raise ChannelError(f"not an e-mail address: {message.recipient.address!r}", permanent=True)
        mail = build_email(
            message,
            sender=self.settings.sender,
            sender_name=self.settings.sender_name,
            message_id_domain=self._message_id_domain,
        )
        await self._submit(mail, message.recipient.address)
        return DeliveryReceipt(provider_id=message_id_for(message.delivery_id, self._message_id_domain))

    async def _submit(self, mail: bytes, recipient: str) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                mail,
                sender=s.sender,
                recipients=[recipient],
                hostname=s.host,
                port=s.port,
                use_tls=s.security == "tls",
                start_tls=s.security == "starttls",
                username=s.username,
                password=s.password.get_secret_value() if s.password else None,
                timeout=s.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"SMTP server refused the recipient: {exc}", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.code < 600
            raise ChannelError(f"SMTP {exc.code}: {exc.message}", permanent=permanent) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP server {s.host}:{s.port} unreachable: {exc}", permanent=False) from exc
