"""Filling a document's fields from a planned `DocumentRequest` and the contest's read model."""

from __future__ import annotations

import uuid
from datetime import date

from ..domain.kinds import DocumentKind, Language
from ..domain.model import ContestView, DocumentRequest
from .model import DocumentFields

# Fixed forever: a document's id must not change when it is drawn again.
DOCUMENT_NAMESPACE = uuid.UUID("0d5c6e1a-8f47-5b2e-a1c3-6e9b2f4d7a10")


def document_id_for(request: DocumentRequest) -> uuid.UUID:
    """One id per (document kind, entry, person): re-issuing after a redelivery yields the same id."""
    return uuid.uuid5(DOCUMENT_NAMESPACE, f"{request.kind.value}|{request.entry_id}|{request.person_key}")


def document_fields(
    request: DocumentRequest,
    contest: ContestView,
    *,
    issued_on: date,
    organisers: tuple[str, ...],
    city: str = "",
    language: Language = "ru",
    document_id: uuid.UUID | None = None,
) -> DocumentFields:
    """`organisers` are the organising bodies printed on the document (not the people we notify);
    `issued_on` the day of the decision it records; `document_id`, when given, is
    `document_id_for(request)` computed already. The contest's full name and signatories come from
    its settings, a special mention's words from the entry."""
    entry = contest.entries[request.entry_id]
    person = next((a for a in entry.authors if a.key == request.person_key), None)
    if person is None:
        raise LookupError(f"{request.person_key!r} is not an author of entry {request.entry_id}")
    return DocumentFields(
        document_id=document_id or document_id_for(request),
        kind=request.kind,
        recipient_name=person.name,
        position=person.position,
        library=person.library,
        project_title=entry.title,
        nomination=contest.nomination_title(entry.nomination_code),
        contest_title=contest.full_title or contest.title,
        issued_on=issued_on,
        organisers=organisers,
        place=entry.place if request.kind is DocumentKind.WINNER_DIPLOMA else None,
        city=city,
        language=language,
        signatories=contest.signatories,
        mention=entry.special_mention if request.kind is DocumentKind.SPECIAL_MENTION_DIPLOMA else "",
    )
