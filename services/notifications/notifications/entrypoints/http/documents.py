"""Issued documents: the public check that a diploma or letter is genuine, and the PDFs themselves."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlmodel import col, select

from kaleidoscope_shared.http.problems import ProblemError

from ...adapters.document_store import fields_from_json
from ...adapters.tables import DocumentRow
from ...documents import normalise_code, verify_code
from ...service_layer.messages import attachment_name
from .deps import ORGANISER_ONLY, ServiceDep

public = APIRouter(tags=["documents"])
organiser = APIRouter(tags=["documents"], dependencies=ORGANISER_ONLY)


class VerifiedDocument(BaseModel):
    genuine: bool
    document_id: uuid.UUID
    kind: str
    recipient_name: str
    position: str
    library: str
    project_title: str
    nomination: str
    contest_title: str
    place: int | None
    issued_on: date
    organisers: list[str]


class DocumentPublic(BaseModel):
    document_id: uuid.UUID
    kind: str
    contest_id: uuid.UUID
    entry_id: uuid.UUID
    person_key: str
    code: str


@public.get("/documents/verify/{code}", response_model=VerifiedDocument)
async def verify_document(code: str, service: ServiceDep) -> VerifiedDocument:
    """Public: confirm that a document with this verification code was issued by us, and what it says.
    The code is printed at the foot of every diploma and letter; dashes and case do not matter."""
    async with service.runtime.sessions() as session:
        row = (
            await session.execute(select(DocumentRow).where(DocumentRow.code == normalise_code(code)))
        ).scalar()
    if row is None:
        raise ProblemError(404, "No such document", f"No document was issued with the code {code!r}.")
    fields = fields_from_json(row.fields)
    if not verify_code(fields, code, [service.signing_key]):
        raise ProblemError(404, "No such document", f"The code {code!r} does not match a genuine document.")
    return VerifiedDocument(genuine=True, **{**row.fields, "document_id": fields.document_id})


@organiser.get("/documents", response_model=list[DocumentPublic])
async def list_documents(
    service: ServiceDep, contest_id: uuid.UUID | None = None, recipient: str | None = None
) -> list[DocumentRow]:
    """Documents issued, by contest or recipient (their e-mail)."""
    query = select(DocumentRow).order_by(col(DocumentRow.issued_at), col(DocumentRow.document_id))
    if contest_id:
        query = query.where(DocumentRow.contest_id == contest_id)
    if recipient:
        query = query.where(DocumentRow.person_key == recipient.strip().lower())
    async with service.runtime.sessions() as session:
        return list((await session.execute(query.limit(1000))).scalars())


@organiser.get("/documents/{document_id}/pdf", response_class=Response)
async def document_pdf(document_id: uuid.UUID, service: ServiceDep) -> Response:
    """The document as PDF (drawn on first request if it has not been sent yet)."""
    async with service.runtime.sessions() as session:
        row = await session.get(DocumentRow, document_id)
    if row is None:
        raise ProblemError(404, "Document not found", f"No document has the id {document_id}.")
    pdf = await service.document_files().ensure(fields_from_json(row.fields))
    disposition = f'attachment; filename="{attachment_name(row)}"'
    return Response(pdf, media_type="application/pdf", headers={"content-disposition": disposition})
