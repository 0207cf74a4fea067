"""The webhook channel: a signed JSON POST per message to the recipient's URL or the configured one.

Delivery is at least once: a dispatcher that stops between sending a message and recording its
outcome sends it again once its claim's lease runs out, and a 5xx, 429 or timeout is retried. Every
attempt at one delivery carries the same `webhook-id` header (the delivery id, also the body's
`delivery_id`), while `webhook-timestamp` and `webhook-signature` are fresh each time. The
`webhook-id` is the receiver's key for de-duplication: a receiver that has already processed an id
answers 2xx and ignores the copy.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from ..base import Channel, ChannelError, DeliveryReceipt, OutgoingMessage
from .signing import signature_headers
from .targets import CheckedTarget, Resolver, TargetPolicy, UnsafeWebhookTarget, system_resolver
from .targets import validate_webhook_url as _validate

_RETRYABLE_STATUSES = frozenset({408, 425, 429})


class WebhookSettings(BaseModel):
    """`url` is used when a recipient has no webhook URL of their own. `allowed_networks` lists CIDR
    ranges that may be called although not public (e.g. "127.0.0.0/8" for a local receiver)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret: SecretStr
    url: str | None = None
    allowed_networks: tuple[str, ...] = ()
    allow_http: bool = False
    timeout_seconds: float = 10.0
    user_agent: str = "Kaleidoscope-Webhooks/1"

    def policy(self) -> TargetPolicy:
        return TargetPolicy.from_config(self.allowed_networks, allow_http=self.allow_http)


class WebhookChannel(Channel):
    """POSTs each message as JSON, signed per Standard Webhooks. `webhook-id` is the delivery id, the
    same on every attempt: receivers de-duplicate on it (see the module's docstring)."""

    name = "webhook"

    def __init__(
        self, config: Mapping[str, Any] | WebhookSettings, *, resolver: Resolver = system_resolver
    ) -> None:
        self.settings = (
            config if isinstance(config, WebhookSettings) else WebhookSettings.model_validate(config)
        )
        self._policy = self.settings.policy()
        self._resolver = resolver
        self._client = httpx.AsyncClient(timeout=self.settings.timeout_seconds, follow_redirects=False)

    async def validate_url(self, url: str) -> None:
        """The check to run when a recipient saves a webhook URL; raises `UnsafeWebhookTarget`."""
        await _validate(url, self._policy, self._resolver)

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        url = _recipient_url(message.recipient.address) or self.settings.url
        if not url:
            raise ChannelError(
                "no webhook URL for this recipient and no default url configured", permanent=True
            )
        try:
            target = await _validate(url, self._policy, self._resolver)
        except UnsafeWebhookTarget as exc:
            raise ChannelError(str(exc), permanent=True) from exc
        body = json.dumps(webhook_payload(message), ensure_ascii=False).encode()
        msg_id = str(message.delivery_id)
        headers = {
            "content-type": "application/json",
            "user-agent": self.settings.user_agent,
            **signature_headers(self.settings.secret.get_secret_value(), msg_id, body, now=time.time()),
        }
        response = await self._post_pinned(target, headers, body)
        _raise_for_status(response)
        return DeliveryReceipt(provider_id=response.headers.get("x-request-id", msg_id))

    async def _post_pinned(
        self, target: CheckedTarget, headers: dict[str, str], body: bytes
    ) -> httpx.Response:
        """POST to the address that passed the check, keeping the original Host and TLS server name."""
        parts = urlsplit(target.url)
        address = target.addresses[0]
        host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
        pinned = urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        headers = {**headers, "host": parts.netloc.rpartition("@")[2]}
        try:
            return await self._client.post(pinned, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            raise ChannelError(f"webhook {target.url} unreachable: {exc!r}", permanent=False) from exc

    async def aclose(self) -> None:
        await self._client.aclose()


def webhook_payload(message: OutgoingMessage) -> dict[str, Any]:
    """The JSON document a receiver gets; attachments travel base64-encoded."""
    return {
        "type": "kaleidoscope.notification",
        "delivery_id": str(message.delivery_id),
        "recipient": {
            "address": message.recipient.address,
            "name": message.recipient.name,
            "language": message.recipient.language,
        },
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "metadata": dict(message.metadata),
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "content_base64": base64.b64encode(a.content).decode(),
            }
            for a in message.attachments
        ],
    }


def _recipient_url(address: str) -> str | None:
    """A recipient's own webhook URL; other addresses (an e-mail) mean "use the configured url"."""
    return address if address.startswith(("https://", "http://")) else None


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = f"webhook answered HTTP {status}: {response.text[:200]!r}"
    if 300 <= status < 400:
        raise ChannelError(detail + " (redirects are not followed)", permanent=True)
    permanent = 400 <= status < 500 and status not in _RETRYABLE_STATUSES
    raise ChannelError(detail, permanent=permanent)
