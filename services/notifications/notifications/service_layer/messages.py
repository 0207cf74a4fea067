"""Turning a delivery row into the `OutgoingMessage` a channel sends, with its documents attached."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable

from sqlmodel import col, select

from kaleidoscope_shared.db import SessionFactory

from ..adapters.document_store import DocumentFiles, fields_from_json
from ..adapters.tables import DeliveryValues, DocumentRow
from ..channels import Attachment, MessageRecipient, OutgoingMessage


def attachment_name(document: DocumentRow) -> str:
    return f"{document.kind.replace('_', '-')}-{document.code[:8].lower()}.pdf"


DOCUMENT_TITLES = {
    "ru": {
        "thank_you_letter": "Благодарственное письмо",
        "participant_diploma": "Диплом участника",
        "finalist_diploma": "Диплом финалиста",
        "winner_diploma": "Диплом победителя",
    },
    "en": {
        "thank_you_letter": "Letter of thanks",
        "participant_diploma": "Diploma of participation",
        "finalist_diploma": "Finalist's diploma",
        "winner_diploma": "Winner's diploma",
    },
}
_NOT_IN_FILENAMES = dict.fromkeys(map(ord, '\\/:*?"<>|'), " ")


def document_title(document: DocumentRow) -> str:
    """What the document is, in its own language: "Диплом победителя"."""
    language = document.fields.get("language") or "ru"
    return DOCUMENT_TITLES.get(language, DOCUMENT_TITLES["ru"]).get(document.kind, document.kind)


def human_filename(document: DocumentRow) -> str:
    """A file name a person recognises: "Диплом победителя — Заводискер Оксана Юрьевна.pdf" (characters
    file systems refuse replaced; not ASCII: send it as `filename*`)."""
    name = f"{document_title(document)} — {document.fields.get('recipient_name', '')}".strip(" —")
    cleaned = "".join(ch for ch in name.translate(_NOT_IN_FILENAMES) if ch.isprintable())
    return " ".join(cleaned.split())[:150] + ".pdf"


class MessageBuilder:
    def __init__(self, sessions: SessionFactory, files: DocumentFiles) -> None:
        self.sessions = sessions
        self.files = files

    async def prepare(self, rows: Iterable[DeliveryValues]) -> BatchMessages:
        """The messages of a batch of deliveries: their document rows loaded (one query per 500) and
        their PDFs started, in the order the batch's messages need them. Several batches may be
        prepared at once: each keeps its own documents."""
        ids = list(dict.fromkeys(d for row in rows for d in row.document_ids))
        documents: dict[str, DocumentRow] = {}
        async with self.sessions() as session:
            for start in range(0, len(ids), 500):
                chunk = [uuid.UUID(i) for i in ids[start : start + 500]]
                found = await session.execute(
                    select(DocumentRow).where(col(DocumentRow.document_id).in_(chunk))
                )
                documents |= {str(d.document_id): d for d in found.scalars()}
        wanted = [fields_from_json(documents[i].fields) for i in ids if i in documents]
        return BatchMessages(self, documents, self.files.ensure_all(wanted))


class BatchMessages:
    """Builds the messages of one prepared batch; a document it was not prepared with is loaded and
    drawn on demand."""

    def __init__(
        self,
        builder: MessageBuilder,
        documents: dict[str, DocumentRow],
        drawing: dict[uuid.UUID, asyncio.Future[dict[uuid.UUID, bytes]]],
    ) -> None:
        self._builder = builder
        self._documents = documents
        self._drawing = drawing

    async def build(self, row: DeliveryValues) -> OutgoingMessage:
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
            async with self._builder.sessions() as session:
                document = await session.get(DocumentRow, uuid.UUID(document_id))
            if document is None:
                raise LookupError(f"document {document_id} is not in the documents table")
        files = self._builder.files
        pdf = await self._pdf(document)
        return Attachment(
            attachment_name(document),
            "application/pdf",
            pdf,
            stored_at=str(files.path_of(document.document_id)),
        )

    async def _pdf(self, document: DocumentRow) -> bytes:
        drawing = self._drawing.get(document.document_id)
        if drawing is None:
            return await self._builder.files.ensure(fields_from_json(document.fields))
        return (await drawing)[document.document_id]
