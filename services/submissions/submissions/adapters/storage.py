"""Where attachments' bytes live: a storage port, and a local-disk implementation that writes atomically."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import anyio.to_thread

from ..domain.errors import AttachmentNotFound, AttachmentTooLarge

CHUNK_BYTES = 64 * 1024
_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    key: str
    size_bytes: int
    sha256: str


class AttachmentStorage(Protocol):
    """Stores an attachment's bytes under an opaque key. Implementations: local disk; S3 later."""

    async def save(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> StoredAttachment:
        """Store the stream; AttachmentTooLarge (413), with nothing left behind, past `max_bytes`."""
        ...

    def open(self, key: str) -> AsyncIterator[bytes]:
        """The stored bytes, chunk by chunk; AttachmentNotFound (404) for an unknown key."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the attachment; deleting a missing key is not an error."""
        ...


class LocalDiskStorage:
    """Files under `root/<2 hex>/<32 hex>`; a save is a temporary file renamed into place after fsync,
    so a reader never sees a half-written attachment and a crash leaves only a `.part` file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def save(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> StoredAttachment:
        key = f"{(name := uuid.uuid4().hex)[:2]}/{name}"
        final = self._path(key)
        await anyio.to_thread.run_sync(lambda: final.parent.mkdir(parents=True, exist_ok=True))
        partial = final.with_name(f"{final.name}.{uuid.uuid4().hex[:8]}.part")
        digest, size = hashlib.sha256(), 0
        file = await anyio.to_thread.run_sync(partial.open, "xb")
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise AttachmentTooLarge(max_bytes)
                digest.update(chunk)
                await anyio.to_thread.run_sync(file.write, chunk)
            await anyio.to_thread.run_sync(_flush_and_close, file)
            await anyio.to_thread.run_sync(os.replace, partial, final)
        except BaseException:
            file.close()
            partial.unlink(missing_ok=True)
            raise
        return StoredAttachment(key=key, size_bytes=size, sha256=digest.hexdigest())

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            file = await anyio.to_thread.run_sync(path.open, "rb")
        except FileNotFoundError:
            raise AttachmentNotFound(key) from None
        try:
            while chunk := await anyio.to_thread.run_sync(file.read, CHUNK_BYTES):
                yield chunk
        finally:
            file.close()

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise AttachmentNotFound(key)
        return self.root / key


def _flush_and_close(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())
    file.close()


async def iter_file(file: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
    """An open binary file (e.g. an upload's spooled file) as the chunks `save` takes."""
    file.seek(0)
    while chunk := await anyio.to_thread.run_sync(file.read, chunk_bytes):
        yield chunk
