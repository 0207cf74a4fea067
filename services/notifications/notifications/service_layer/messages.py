"""Turning a delivery row into the `OutgoingMessage` a channel sends, with its documents attached and
its sealed links opened (the only place they are: the stored row keeps them sealed)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import col, select

from kaleidoscope_shared.db import SessionFactory
from kaleidoscope_shared.sealing import unseal
from kaleidoscope_shared.settings import DEVELOPMENT_LINK_KEY

from ..adapters.document_store import DocumentFiles, fields_from_json
from ..adapters.tables import ContestCopy, DeliveryValues, DocumentRow
from ..channels import Attachment, MessageRecipient, OutgoingMessage
from ..domain.links import reveal
from ..templates.document_titles import DOCUMENT_TITLES
from ..templates.document_titles import document_title as title_of

__all__ = ["DOCUMENT_TITLES", "MessageBuilder", "attachment_name", "document_title", "human_filename"]


def attachment_name(document: DocumentRow) -> str:
    """An ASCII name for the document, for readers that cannot take `human_filename`."""
    return f"{document.kind.replace('_', '-')}-{document.code[:8].lower()}.pdf"


_NOT_IN_FILENAMES = dict.fromkeys(map(ord, '\\/:*?"<>|'), " ")


def document_title(document: DocumentRow) -> str:
    """What the document is, in its own language: "Диплом победителя"."""
    return title_of(document.kind, document.fields.get("language") or "ru")


def short_name(full_name: str) -> str:
    """«Заводискер Оксана Юрьевна» → «Заводискер О. Ю.»: a surname and initials, as a file name or a
    list gives a person; a name of one word, or of more than three, stays as it is."""
    parts = full_name.split()
    if not 2 <= len(parts) <= 3 or not all(p[:1].isalpha() for p in parts[1:]):
        return " ".join(parts)
    initials = ["-".join(f"{piece[:1].upper()}." for piece in p.split("-") if piece) for p in parts[1:]]
    return " ".join([parts[0], *initials])


def human_filename(document: DocumentRow) -> str:
    """A file name a person recognises, in the document's language: «Диплом победителя — Заводискер
    О. Ю.pdf» (characters file systems refuse replaced; not ASCII: sent as RFC 2231 `filename*`)."""
    person = short_name(str(document.fields.get("recipient_name", "")))
    name = f"{document_title(document)} — {person}".strip(" —")
    cleaned = "".join(ch for ch in name.translate(_NOT_IN_FILENAMES) if ch.isprintable())
    return " ".join(cleaned.split())[:150].rstrip(".") + ".pdf"  # «О. Ю.pdf», not «О. Ю..pdf»


_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@]+@[^\s<>()\[\],;:\"@]+\.[^\s<>()\[\],;:\"@]*[^\s<>()\[\],;:\"@.]")


@dataclass(frozen=True, slots=True)
class Correspondent:
    """Who a contest's messages are from and where answers go: the organisers, the contest's contact."""

    sender_names: dict[str, str]
    reply_to: str = ""

    @classmethod
    def of(cls, contest: ContestCopy) -> Correspondent:
        title = " ".join(contest.title.split())
        organisers = [str(o.get("email")) for o in contest.organisers if o.get("email")]
        found = _ADDRESS.search(contest.contact or "")
        return cls(
            sender_names={"ru": f"Оргкомитет конкурса «{title}»", "en": f"Organising committee of “{title}”"},
            reply_to=found.group(0) if found else (organisers[0] if organisers else ""),
        )

    def sender_name(self, language: str) -> str:
        return self.sender_names.get(language) or self.sender_names["ru"]


class MessageBuilder:
    def __init__(
        self, sessions: SessionFactory, files: DocumentFiles, link_key: str = DEVELOPMENT_LINK_KEY
    ) -> None:
        self.sessions = sessions
        self.files = files
        self.link_key = link_key
        """Opens the sealed links of a stored message as it is handed to its channel."""

    def reveal(self, text: str) -> str:
        """`text` with its sealed links opened; `SealBroken` when the link key is not the one that
        sealed them (the attempt fails and is retried)."""
        return reveal(text, lambda sealed: unseal(sealed, self.link_key))

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
            contest_ids = list({row.contest_id for row in rows if row.contest_id is not None})
            found_contests = await session.execute(
                select(ContestCopy).where(col(ContestCopy.contest_id).in_(contest_ids))
            )
            correspondents = {c.contest_id: Correspondent.of(c) for c in found_contests.scalars()}
        wanted = [fields_from_json(documents[i].fields) for i in ids if i in documents]
        return BatchMessages(self, documents, self.files.ensure_all(wanted), correspondents)


class BatchMessages:
    """Builds the messages of one prepared batch; a document it was not prepared with is loaded and
    drawn on demand."""

    def __init__(
        self,
        builder: MessageBuilder,
        documents: dict[str, DocumentRow],
        drawing: dict[uuid.UUID, asyncio.Future[dict[uuid.UUID, bytes]]],
        correspondents: dict[uuid.UUID, Correspondent] | None = None,
    ) -> None:
        self._builder = builder
        self._documents = documents
        self._drawing = drawing
        self._correspondents = correspondents or {}

    async def build(self, row: DeliveryValues) -> OutgoingMessage:
        correspondent = self._correspondents.get(row.contest_id) if row.contest_id else None
        sender_name = correspondent.sender_name(row.language) if correspondent else ""
        return OutgoingMessage(
            delivery_id=row.id,
            recipient=MessageRecipient(address=row.address, name=row.recipient_name, language=row.language),
            subject=self._builder.reveal(row.subject),
            text=self._builder.reveal(row.text),
            html=self._builder.reveal(row.html) if row.html is not None else None,
            attachments=tuple([await self._attachment(d) for d in row.document_ids]),
            metadata={"event_id": str(row.event_id), "event_type": row.event_type, "kind": row.kind},
            sender_name=sender_name,
            reply_to=correspondent.reply_to if correspondent else "",
            reply_to_name=sender_name,
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
            human_filename(document),
            "application/pdf",
            pdf,
            stored_at=str(files.path_of(document.document_id)),
        )

    async def _pdf(self, document: DocumentRow) -> bytes:
        drawing = self._drawing.get(document.document_id)
        if drawing is None:
            return await self._builder.files.ensure(fields_from_json(document.fields))
        return (await drawing)[document.document_id]
