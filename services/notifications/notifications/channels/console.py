"""The console channel: one short line per message, for development."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, TextIO

from .base import Channel, DeliveryReceipt, OutgoingMessage


class ConsoleChannel(Channel):
    name = "console"

    def __init__(self, config: Mapping[str, Any] | None = None, *, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        stream = self._stream or sys.stdout
        recipient = message.recipient
        attachments = f" +{len(message.attachments)} attachment(s)" if message.attachments else ""
        print(
            f"[notify] {message.delivery_id} → {recipient.name or '-'} <{recipient.address}> "
            f"[{recipient.language}] {message.subject!r}{attachments}",
            file=stream,
            flush=True,
        )
        return DeliveryReceipt(provider_id=f"console:{message.delivery_id}")
