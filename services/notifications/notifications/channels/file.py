"""The file channel: each message as `<delivery_id>.eml` and `<delivery_id>.json` in a folder.

The default for the demo: open the .eml in a mail client, or read the .json. Attachments are in the
.eml and also beside it (`<delivery_id>.<filename>`) so a PDF can be opened directly: a hard link to
the stored document when there is one, else a copy. A resend overwrites the same files, so
redelivery never produces a second copy. A contest's end writes tens of thousands of messages here,
so a message costs no more files than it shows: no folder of its own, no extra calls per file.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pydantic_core
from pydantic import BaseModel, ConfigDict

from kaleidoscope_shared.files import write_atomically

from .base import Attachment, Channel, ChannelError, DeliveryReceipt, OutgoingMessage
from .mime import AddressNotSendable, build_email, needs_smtputf8


class FileChannelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path = Path("data/outbox")
    sender: str = "noreply@kaleidoscope.local"
    sender_name: str = ""


class FileChannel(Channel):
    name = "file"

    def __init__(self, config: Mapping[str, Any] | FileChannelSettings) -> None:
        self.settings = (
            config if isinstance(config, FileChannelSettings) else FileChannelSettings.model_validate(config)
        )

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        # File writes block; keep them off the event loop the worker shares with other channels.
        path = await asyncio.to_thread(self._write, message)
        # the file's name in the channel's folder: where the server keeps it is nobody's business
        return DeliveryReceipt(provider_id=path.name)

    def _write(self, message: OutgoingMessage) -> Path:
        folder, stem = self.settings.path, str(message.delivery_id)
        try:
            mail = build_email(
                message,
                sender=self.settings.sender,
                sender_name=self.settings.sender_name,
                message_id_domain="kaleidoscope.local",
                utf8=needs_smtputf8(message.recipient.address),  # as SMTPUTF8 would carry it
            )
        except AddressNotSendable as exc:
            raise ChannelError(str(exc), permanent=True) from exc
        try:
            write_atomically(folder / f"{stem}.eml", mail)
            write_atomically(folder / f"{stem}.json", _summary(message))
            for attachment in message.attachments:
                _place(folder / f"{stem}.{Path(attachment.filename).name}", attachment)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ChannelError(
                f"cannot write to the file channel's folder: {reason}", permanent=False
            ) from exc
        return folder / f"{stem}.eml"


def _summary(message: OutgoingMessage) -> bytes:
    document = {
        "delivery_id": str(message.delivery_id),
        "recipient": {
            "address": message.recipient.address,
            "name": message.recipient.name,
            "language": message.recipient.language,
        },
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "headers": dict(message.headers),
        "metadata": dict(message.metadata),
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": len(a.content),
                "sha256": hashlib.sha256(a.content).hexdigest(),
            }
            for a in message.attachments
        ],
    }
    # the same text as json.dumps(document, ensure_ascii=False, indent=2), whose indenting encoder is
    # written in Python: a tenth of a millisecond a message
    return pydantic_core.to_json(document, indent=2)


def _place(path: Path, attachment: Attachment) -> None:
    """The attachment as a file: a second name for the file that already holds it (no copy, and no
    new file for the file system to allocate), or else a copy."""
    if attachment.stored_at:
        try:
            _link(attachment.stored_at, path)
            return
        except OSError:
            pass  # another file system, or the stored file is gone: copy
    write_atomically(path, attachment.content)


def _link(source: str, path: Path) -> None:
    try:
        os.link(source, path)
    except FileExistsError:  # a resend: the same content under the same name
        path.unlink()
        os.link(source, path)
