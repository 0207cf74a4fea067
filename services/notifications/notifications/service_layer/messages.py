"""Turning a delivery row into the `OutgoingMessage` a channel sends, with its documents attached."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable

from sqlmodel import col, select

from kaleidoscope_shared.db import SessionFactory

from ..adapters.document_store import DocumentFiles, fields_from_json
from ..adapters.tables import DeliveryRow, DocumentRow
from ..channels import Attachment, MessageRecipient, OutgoingMessage


def attachment_name(document: DocumentRow) -> str:
    return f"{document.kind.replace('_', '-')}-{document.code[:8].lower()}.pdf"


class MessageBuilder:
    def __init__(self, sessions: SessionFactory, files: DocumentFiles) -> None:
        self._sessions = sessions
        self.files = files
        self._documents: dict[str, DocumentRow] = {}
        self._drawing: dict[uuid.UUID, asyncio.Future[dict[uuid.UUID, bytes]]] = {}

    async def prefetch(self, rows: Iterable[DeliveryRow]) -> None:
        """Load the document rows a batch of deliveries needs (one query per 500) and start drawing
        their PDFs, in the order the batch's messages need them."""
        ids = list(dict.fromkeys(d for row in rows for d in row.document_ids))
        self._documents = {}
        async with self._sessions() as session:
            for start in range(0, len(ids), 500):
                chunk = [uuid.UUID(i) for i in ids[start : start + 500]]
                found = await session.execute(
                    select(DocumentRow).where(col(DocumentRow.document_id).in_(chunk))
                )
                self._documents |= {str(d.document_id): d for d in found.scalars()}
        wanted = [fields_from_json(self._documents[i].fields) for i in ids if i in self._documents]
        self._drawing = self.files.ensure_all(wanted)

    async def build(self, row: DeliveryRow) -> OutgoingMessage:
        return OutgoingMessage(
            delivery_id=row.id,
            recipient=MessageRecipient(address=row.address, name=row.recipient_name, language=row.language),
            subject=row.subject,
            text=row.text,
            html=row.html,
            attachments=tuple([await self._attachment(d) for d in row.document_ids]),
            metadata={"event_id": str(row.event_id), "event_type": row.event_type, "kind": row.kind},
        )

    async def _attachment(self, document_id: str) -> Attachment:
        document = self._documents.get(document_id)
        if document is None:
            async with self._sessions() as session:
                document = await session.get(DocumentRow, uuid.UUID(document_id))
            if document is None:
                raise LookupError(f"document {document_id} is not in the documents table")
        pdf = await self._pdf(document)
        stored_at = str(self.files.path_of(document.document_id))
        return Attachment(attachment_name(document), "application/pdf", pdf, stored_at=stored_at)

    async def _pdf(self, document: DocumentRow) -> bytes:
        drawing = self._drawing.get(document.document_id)
        if drawing is None:
            return await self.files.ensure(fields_from_json(document.fields))
        return (await drawing)[document.document_id]
