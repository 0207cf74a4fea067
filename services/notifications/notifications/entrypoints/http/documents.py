"""Issued documents: the public check that a diploma or letter is genuine, an entry's documents for its
participant (with a grant from submissions), and the PDFs themselves."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlmodel import col, select

from kaleidoscope_shared.grants import ENTRY_DOCUMENTS, GrantRefused, check_grant
from kaleidoscope_shared.http.auth import auth_failed, bearer_token, require_organiser, same_secret
from kaleidoscope_shared.http.openapi import BEARER_OPTIONAL, problems
from kaleidoscope_shared.http.problems import ProblemError

from ...adapters.document_store import fields_from_json
from ...adapters.tables import DocumentRow
from ...bootstrap import Notifications
from ...documents import normalise_code, verify_code
from ...documents.fonts import UnsupportedCharacters
from ...service_layer.messages import attachment_name, document_title, human_filename
from .deps import ORGANISER_ONLY, ServiceDep

public = APIRouter(tags=["documents"])
organiser = APIRouter(tags=["documents"], dependencies=ORGANISER_ONLY)

KIND_ORDER = ("thank_you_letter", "participant_diploma", "finalist_diploma", "winner_diploma")
GrantQuery = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="An ENTRY_DOCUMENTS grant on the entry's id; submissions hands it to the entry's "
        "participant with the entry once the results are announced.",
    ),
]


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


class EntryDocument(BaseModel):
    """One document issued for an entry, as its participant sees it in the list."""

    document_id: uuid.UUID
    kind: str
    """thank_you_letter, participant_diploma, finalist_diploma or winner_diploma"""
    title: str
    """What it is, in the document's language: "Диплом победителя"."""
    recipient_name: str
    language: str
    issued_on: date
    code: str
    """The verification code as printed on the document (`XXXX-XXXX-XXXX-XXXX`)."""
    filename: str
    """A file name a person recognises: "Диплом победителя — Заводискер Оксана Юрьевна.pdf"."""


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


@public.get(
    "/entries/{entry_id}/documents",
    response_model=list[EntryDocument],
    responses=problems(429),
    openapi_extra={"security": BEARER_OPTIONAL},
)
async def entry_documents(
    entry_id: uuid.UUID, request: Request, service: ServiceDep, grant: GrantQuery = None
) -> list[EntryDocument]:
    """The letters and diplomas issued for one entry (to each of its authors), for the bearer of an
    ENTRY_DOCUMENTS grant on the entry (or the organiser). Any other caller gets 404, as for an entry
    without documents; the list is empty until the contest's end has been announced."""
    if not _is_organiser(request, service) and not _grants_entry(request, service, grant, entry_id):
        raise _no_documents(entry_id)
    query = select(DocumentRow).where(DocumentRow.entry_id == entry_id)
    async with service.runtime.sessions() as session:
        rows = list((await session.execute(query)).scalars())
    rows.sort(key=lambda r: (r.fields.get("recipient_name", ""), _kind_rank(r.kind), str(r.document_id)))
    return [_entry_document(row) for row in rows]


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


@public.get(
    "/documents/{document_id}/pdf",
    response_class=Response,
    responses={
        200: {
            "description": "The document.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        **problems(
            429,
            _422="No font of the documents has a character of its text: it cannot be printed.",
            _401="No grant and no bearer token: without a grant this is the organiser's route.",
            _403="No grant, and a token that is not the organiser's.",
        ),
    },
    openapi_extra={"security": BEARER_OPTIONAL},
)
async def document_pdf(
    document_id: uuid.UUID, request: Request, service: ServiceDep, grant: GrantQuery = None
) -> Response:
    """The document as PDF (drawn on first request if it has not been sent yet), for the organiser or
    with an ENTRY_DOCUMENTS grant on the document's entry. Without a grant this is the organiser's route
    (401 / 403); a grant that is bad, expired or for another entry is a 404. A document holding
    characters no font of the documents has is refused with 422, naming them and their field."""
    if grant is None:
        require_organiser(request, service.settings.organiser_token.get_secret_value())
    async with service.runtime.sessions() as session:
        row = await session.get(DocumentRow, document_id)
    allowed = row is not None and (
        _is_organiser(request, service) or _grants_entry(request, service, grant, row.entry_id)
    )
    if row is None or not allowed:
        raise ProblemError(404, "Document not found", f"No document has the id {document_id}.")
    try:
        pdf = await service.document_files().ensure(fields_from_json(row.fields))
    except UnsupportedCharacters as error:  # as the dispatcher refuses to send it: never empty boxes
        raise ProblemError(422, "The document cannot be printed", str(error)) from error
    disposition = (
        f'attachment; filename="{attachment_name(row)}"; '
        f"filename*=UTF-8''{quote(human_filename(row), safe='')}"
    )
    return Response(pdf, media_type="application/pdf", headers={"content-disposition": disposition})


def _is_organiser(request: Request, service: Notifications) -> bool:
    """Whether the bearer token is the organiser's; another token is a failed authentication."""
    token = bearer_token(request)
    if token is None:
        return False
    if same_secret(token, service.settings.organiser_token.get_secret_value()):
        return True
    auth_failed(request, "organiser")
    return False


def _grants_entry(request: Request, service: Notifications, grant: str | None, entry_id: uuid.UUID) -> bool:
    """Whether `grant` is a genuine ENTRY_DOCUMENTS grant on the entry; a refused one is a failed
    authentication."""
    if not grant:
        return False
    try:
        check_grant(service.settings.grant_key.get_secret_value(), grant, ENTRY_DOCUMENTS, str(entry_id))
    except GrantRefused:
        auth_failed(request, "grant")
        return False
    return True


def _no_documents(entry_id: uuid.UUID) -> ProblemError:
    return ProblemError(404, "No documents", f"No documents can be shown for the entry {entry_id}.")


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def _entry_document(row: DocumentRow) -> EntryDocument:
    fields = fields_from_json(row.fields)
    code = row.code
    return EntryDocument(
        document_id=row.document_id,
        kind=row.kind,
        title=document_title(row),
        recipient_name=fields.recipient_name,
        language=fields.language,
        issued_on=fields.issued_on,
        code="-".join(code[i : i + 4] for i in range(0, len(code), 4)),
        filename=human_filename(row),
    )
