"""A Telegram-style bot channel: `POST {api_base}/bot{token}/sendMessage` with the recipient's chat id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from notifications.channels import Channel, ChannelError, DeliveryReceipt, OutgoingMessage

_RETRYABLE = frozenset({408, 429})
_MAX_TEXT = 4096  # the Bot API's limit for one message


class TelegramChannel(Channel):
    name = "telegram"

    def __init__(self, config: Mapping[str, Any]) -> None:
        token = config.get("token")
        if not token:
            raise ValueError("telegram channel: config 'token' is missing (the bot's token from @BotFather)")
        api_base = str(config.get("api_base", "https://api.telegram.org")).rstrip("/")
        self._base = f"{api_base}/bot{token}"
        self._client = httpx.AsyncClient(timeout=float(config.get("timeout_seconds", 10)))

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        chat_id = message.recipient.address
        if not chat_id or "@" in chat_id:
            raise ChannelError(f"telegram needs a chat id, got {chat_id!r}", permanent=True)
        text = f"{message.subject}\n\n{message.text}"[:_MAX_TEXT]
        result = await self._call("sendMessage", json={"chat_id": chat_id, "text": text})
        for attachment in message.attachments:
            files = {"document": (attachment.filename, attachment.content, attachment.content_type)}
            await self._call("sendDocument", data={"chat_id": chat_id}, files=files)
        return DeliveryReceipt(provider_id=f"{chat_id}:{result.get('message_id')}")

    async def _call(self, method: str, **request: Any) -> dict[str, Any]:
        try:
            response = await self._client.post(f"{self._base}/{method}", **request)
        except httpx.HTTPError as exc:
            raise ChannelError(f"telegram {method} failed: {exc!r}", permanent=False) from exc
        body = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        if response.status_code == 200 and body.get("ok"):
            return dict(body.get("result") or {})
        status = response.status_code
        permanent = 400 <= status < 500 and status not in _RETRYABLE
        raise ChannelError(
            f"telegram {method}: HTTP {status} {body.get('description', '')}", permanent=permanent
        )

    async def aclose(self) -> None:
        await self._client.aclose()
