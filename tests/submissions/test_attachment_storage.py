"""Local-disk attachment storage: atomic saves, size limit while streaming, safe keys."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from submissions.adapters.storage import LocalDiskStorage, iter_file
from submissions.domain.errors import AttachmentNotFound, AttachmentTooLarge


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def files_under(root: Path, pattern: str = "*") -> list[Path]:
    return [p for p in root.rglob(pattern) if p.is_file()]


async def read_all(storage: LocalDiskStorage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.open(key)])


async def test_a_saved_attachment_reads_back_with_its_size_and_sha256(tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    stored = await storage.save(chunks(b"%PDF-1.7\n", b"body"), max_bytes=100)
    assert stored.size_bytes == 13
    assert stored.sha256 == hashlib.sha256(b"%PDF-1.7\nbody").hexdigest()
    assert await read_all(storage, stored.key) == b"%PDF-1.7\nbody"
    assert not files_under(tmp_path, "*.part")


async def test_an_upload_over_the_limit_is_refused_and_leaves_no_file(tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    with pytest.raises(AttachmentTooLarge) as err:
        await storage.save(chunks(b"a" * 60, b"b" * 60), max_bytes=100)
    assert err.value.status == 413
    assert files_under(tmp_path) == []


async def test_a_deleted_attachment_is_gone_and_deleting_again_is_harmless(tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    stored = await storage.save(iter_file(io.BytesIO(b"text")), max_bytes=100)
    await storage.delete(stored.key)
    await storage.delete(stored.key)
    with pytest.raises(AttachmentNotFound):
        await read_all(storage, stored.key)


@pytest.mark.parametrize("key", ["../../etc/passwd", "ab/../../secret", "/etc/passwd", "AB/" + "0" * 32])
async def test_keys_that_could_escape_the_storage_folder_are_not_found(tmp_path: Path, key: str) -> None:
    storage = LocalDiskStorage(tmp_path / "attachments")
    with pytest.raises(AttachmentNotFound) as err:
        await read_all(storage, key)
    assert err.value.status == 404
