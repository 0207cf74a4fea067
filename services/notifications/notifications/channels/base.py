"""The channel port: what the notifications core hands to a channel, and what it gets back.

A channel is anything that can deliver an `OutgoingMessage` somewhere (SMTP, a webhook, a bot API, a
folder). Channels are found through the entry-point group `kaleidoscope.channels`; each entry point
names a *factory*: a callable that takes the channel's configuration mapping and returns a `Channel`
(a `Channel` subclass itself is such a factory).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ENTRY_POINT_GROUP = "kaleidoscope.channels"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes
    stored_at: str | None = None
    """A file that holds the same content, if there is one: a channel that writes files may link to
    it instead of writing a copy."""

    @property
    def maintype(self) -> str:
        return self.content_type.split("/", 1)[0]

    @property
    def subtype(self) -> str:
        return self.content_type.split("/", 1)[1] if "/" in self.content_type else "octet-stream"


@dataclass(frozen=True, slots=True)
class MessageRecipient:
    """Who receives a message, and where: `address` is channel-specific (an e-mail address, a chat id,
    a webhook URL), empty when the channel has its own default target."""

    address: str
    name: str = ""
    language: str = "ru"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One rendered message for one recipient on one channel.

    `delivery_id` is stable across retries of the same delivery: channels pass it to the provider
    (Message-ID, webhook-id) so that a resend is recognisable as the same message.
    """

    delivery_id: uuid.UUID
    recipient: MessageRecipient
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    sender_name: str = ""
    """Who the message is from, as the recipient sees it (the organisers); the channel's configured
    name when empty."""
    reply_to: str = ""
    """Where an answer goes (the contest's contact address); none when empty."""
    reply_to_name: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """What a channel reports after a successful send: the provider's id for the message."""

    provider_id: str


class ChannelError(Exception):
    """A send failed. `permanent=True` means retrying cannot help (bad address, rejected content,
    refused target); `permanent=False` means try again later (timeouts, 4xx SMTP, HTTP 5xx/429)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(ABC):
    """A delivery channel. Implementations must be safe to call concurrently from one event loop."""

    name: str

    @abstractmethod
    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        """Deliver `message` once; raise `ChannelError` when it was not delivered."""

    async def aclose(self) -> None:
        """Release connections or files held by the channel. The default holds nothing."""
        return None


ChannelFactory = Callable[[Mapping[str, Any]], Channel]
