"""What a file really is, from its bytes: the type a client declares is never trusted.

Recognised: PDF, PNG, JPEG, DOCX and XLSX (zip packages with the right parts), ODT (zip with the
OpenDocument `mimetype` member) and UTF-8 plain text. Anything else is `application/octet-stream`.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Iterable
from typing import BinaryIO

from ..domain.errors import UnsupportedAttachmentType

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
TEXT = "text/plain"
UNKNOWN = "application/octet-stream"

_MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_ZIP = b"PK\x03\x04"
_OOXML_MAIN_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX))
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
"""Control characters that never occur in a text document (tab, newlines and form feed may)."""
_CHUNK = 64 * 1024


def detect_media_type(file: BinaryIO) -> str:
    """The media type of a seekable binary file's content; the file's position is left at 0."""
    try:
        file.seek(0)
        head = file.read(16)
        for magic, media_type in _MAGIC:
            if head.startswith(magic):
                return media_type
        if head.startswith(_ZIP):
            return _zip_package_type(file)
        return TEXT if _is_utf8_text(file) else UNKNOWN
    finally:
        file.seek(0)


def require_allowed_media_type(file: BinaryIO, allowed: Iterable[str], declared: str | None = None) -> str:
    """The detected media type if the contest allows it; UnsupportedAttachmentType (415) otherwise."""
    allowed = frozenset(allowed)
    detected = detect_media_type(file)
    if detected not in allowed:
        raise UnsupportedAttachmentType(detected, allowed, declared=declared)
    return detected


def _zip_package_type(file: BinaryIO) -> str:
    """DOCX/XLSX/ODT by their parts; only the archive's directory and the tiny `mimetype` are read."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    if member.read(64).strip() == ODT.encode():
                        return ODT
            if "[Content_Types].xml" in names:
                for part, media_type in _OOXML_MAIN_PARTS:
                    if part in names:
                        return media_type
    except (zipfile.BadZipFile, OSError, EOFError):
        pass
    return UNKNOWN


def _is_utf8_text(file: BinaryIO) -> bool:
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    seen_any = False
    try:
        while chunk := file.read(_CHUNK):
            seen_any = True
            if _CONTROL_CHARACTERS.search(decoder.decode(chunk)):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return seen_any
