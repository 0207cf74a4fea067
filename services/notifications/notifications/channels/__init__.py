"""Delivery channels: the `Channel` port, its built-in adapters, and plugin discovery."""

from .base import (
    ENTRY_POINT_GROUP,
    Attachment,
    Channel,
    ChannelError,
    ChannelFactory,
    DeliveryReceipt,
    MessageRecipient,
    OutgoingMessage,
)
from .registry import ChannelLoadFailure, LoadedChannels, available_channel_names, load_channels

__all__ = [
    "ENTRY_POINT_GROUP",
    "Attachment",
    "Channel",
    "ChannelError",
    "ChannelFactory",
    "ChannelLoadFailure",
    "DeliveryReceipt",
    "LoadedChannels",
    "MessageRecipient",
    "OutgoingMessage",
    "available_channel_names",
    "load_channels",
]
