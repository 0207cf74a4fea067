"""Documents at rest: their fields as JSON in the database, their PDFs as files under the data dir.

A PDF can always be drawn again from the stored fields (the code covers the fields, not the bytes), so
the file is a cache: written once, atomically, the first time the document is sent.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import fields as dataclass_fields
from datetime import date
from pathlib import Path
from typing import Any

from kaleidoscope_shared.files import write_atomically
from kaleidoscope_shared.observability.metrics import DOCUMENT_RENDER_SECONDS

from ..documents import DocumentFields, issue_document
from ..domain import DocumentKind
from ..domain.kinds import language_or_default

_FIELD_NAMES = tuple(field.name for field in dataclass_fields(DocumentFields))


def fields_to_json(fields: DocumentFields) -> dict[str, Any]:
    data = {name: getattr(fields, name) for name in _FIELD_NAMES}  # dataclasses.asdict deep-copies
    data |= {
        "document_id": str(fields.document_id),
        "kind": fields.kind.value,
        "issued_on": fields.issued_on.isoformat(),
        "organisers": list(fields.organisers),
        "signatories": [list(signatory) for signatory in fields.signatories],
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
            "signatories": tuple((str(n), str(p)) for n, p in data.get("signatories", ())),
            "language": language_or_default(data.get("language")),
        }
    )


def draw_pdf(fields: DocumentFields, key: bytes, verify_url: str, path: str) -> float | None:
    """Draw the document's PDF and save it at `path`, unless it is there already. Runs in a worker
    process (or a thread), so that the event loop makes one call for it and touches no file. Returns
    the seconds drawing took (None when the file was there)."""
    if os.path.exists(path):
        return None
    started = time.perf_counter()
    pdf = issue_document(fields, key, verify_url=verify_url).pdf
    took = time.perf_counter() - started
    write_atomically(Path(path), pdf)
    return took


def draw_pdfs(
    documents: list[DocumentFields], key: bytes, verify_url: str, folder: Path
) -> list[tuple[str, float]]:
    """`draw_pdf` for several documents in one call: one trip to a worker process for all of them.
    The PDFs are not sent back: the caller reads the files (one copy from the page cache, where
    sending 50 KB through the process pool's pipe costs four copies and a few context switches).
    Returns the kind and drawing time of each document drawn: the caller's process records them (a
    pool process's metrics are never scraped)."""
    timings = []
    for fields in documents:
        took = draw_pdf(fields, key, verify_url, str(pdf_path(folder, fields.document_id)))
        if took is not None:
            timings.append((fields.kind.value, took))
    return timings


def read_pdfs(paths: list[Path]) -> list[bytes]:
    return [path.read_bytes() for path in paths]


def pdf_path(folder: Path, document_id: uuid.UUID | str) -> Path:
    return folder / f"{document_id}.pdf"


class DocumentFiles:
    """Where the PDFs live, and drawing the missing ones off the event loop."""

    def __init__(self, folder: Path, key: bytes, verify_url: str, executor: Executor | None = None) -> None:
        self.folder = folder
        self._key = key
        self._verify_url = verify_url
        self._executor = executor

    def path_of(self, document_id: uuid.UUID | str) -> Path:
        return pdf_path(self.folder, document_id)

    async def ensure(self, fields: DocumentFields) -> bytes:
        """The document's PDF bytes, drawing and saving it first if it is not on disk yet."""
        return (await self.ensure_all([fields])[fields.document_id])[fields.document_id]

    def ensure_all(
        self, documents: Sequence[DocumentFields], chunk: int = 16
    ) -> dict[uuid.UUID, asyncio.Future[dict[uuid.UUID, bytes]]]:
        """Start drawing (or reading) every document, `chunk` at a time per call to the executor, in
        order; each document's id maps to the future PDFs of its chunk. A batch's first messages can
        go as soon as their chunk is done, while the executor's processes draw the rest."""
        loop = asyncio.get_running_loop()

        async def drawn(part: list[DocumentFields]) -> dict[uuid.UUID, bytes]:
            timings = await loop.run_in_executor(
                self._executor, draw_pdfs, part, self._key, self._verify_url, self.folder
            )
            for kind, took in timings:
                DOCUMENT_RENDER_SECONDS.labels(kind).observe(took)
            pdfs = await asyncio.to_thread(read_pdfs, [self.path_of(fields.document_id) for fields in part])
            return {fields.document_id: pdf for fields, pdf in zip(part, pdfs, strict=True)}

        started: dict[uuid.UUID, asyncio.Future[dict[uuid.UUID, bytes]]] = {}
        for start in range(0, len(documents), chunk):
            part = list(documents[start : start + chunk])
            future = asyncio.ensure_future(drawn(part))
            started |= {fields.document_id: future for fields in part}
        return started
