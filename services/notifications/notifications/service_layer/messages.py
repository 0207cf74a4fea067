"""Turning a delivery row into the `OutgoingMessage` a channel sends, with its documents attached."""

from __future__ import annotations

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

    async def prefetch(self, rows: Iterable[DeliveryRow]) -> None:
        """Load the document rows a batch of deliveries needs, in one query per 500."""
        ids = list({d for row in rows for d in row.document_ids})
        self._documents = {}
        async with self._sessions() as session:
            for start in range(0, len(ids), 500):
                chunk = [uuid.UUID(i) for i in ids[start : start + 500]]
                found = await session.execute(
                    select(DocumentRow).where(col(DocumentRow.document_id).in_(chunk))
                )
                self._documents |= {str(d.document_id): d for d in found.scalars()}

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
        pdf = await self.files.ensure(fields_from_json(document.fields))
        return Attachment(attachment_name(document), "application/pdf", pdf)
