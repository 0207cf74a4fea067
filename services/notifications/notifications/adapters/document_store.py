"""Documents at rest: their fields as JSON in the database, their PDFs as files under the data dir.

A PDF can always be drawn again from the stored fields (the code covers the fields, not the bytes), so
the file is a cache: written once, atomically, the first time the document is sent.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from concurrent.futures import Executor
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from ..documents import DocumentFields, issue_document
from ..domain import DocumentKind
from ..domain.kinds import language_or_default


def fields_to_json(fields: DocumentFields) -> dict[str, Any]:
    data = asdict(fields)
    data |= {
        "document_id": str(fields.document_id),
        "kind": fields.kind.value,
        "issued_on": fields.issued_on.isoformat(),
        "organisers": list(fields.organisers),
    }
    return data


def fields_from_json(data: dict[str, Any]) -> DocumentFields:
    return DocumentFields(
        **{
            **data,
            "document_id": uuid.UUID(data["document_id"]),
            "kind": DocumentKind(data["kind"]),
            "issued_on": date.fromisoformat(data["issued_on"]),
            "organisers": tuple(data["organisers"]),
            "language": language_or_default(data.get("language")),
        }
    )


def draw_pdf(fields: DocumentFields, key: bytes, verify_url: str, path: str) -> str:
    """Draw and save one document; runs in a worker process or thread. Returns the path."""
    document = issue_document(fields, key, verify_url=verify_url)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(document.pdf)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(target)


class DocumentFiles:
    """Where the PDFs live, and drawing the missing ones off the event loop."""

    def __init__(self, folder: Path, key: bytes, verify_url: str, executor: Executor | None = None) -> None:
        self.folder = folder
        self._key = key
        self._verify_url = verify_url
        self._executor = executor

    def path_of(self, document_id: uuid.UUID | str) -> Path:
        return self.folder / f"{document_id}.pdf"

    async def ensure(self, fields: DocumentFields) -> bytes:
        """The document's PDF bytes, drawing and saving it first if it is not on disk yet."""
        path = self.path_of(fields.document_id)
        if not path.exists():
            loop = asyncio.get_running_loop()
            args = (fields, self._key, self._verify_url, str(path))
            await loop.run_in_executor(self._executor, draw_pdf, *args)
        return await asyncio.to_thread(path.read_bytes)
