"""PDF documents (thank-you letters, participant/finalist/winner diplomas) and their verification."""

from __future__ import annotations

from dataclasses import dataclass

from .from_plan import document_fields, document_id_for
from .model import DocumentFields
from .pdf import render_pdf
from .verification import normalise_code, verification_code, verify_code


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    fields: DocumentFields
    code: str
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"{self.fields.kind.value.replace('_', '-')}-{normalise_code(self.code)[:8].lower()}.pdf"

    content_type = "application/pdf"


def issue_document(fields: DocumentFields, key: bytes, *, verify_url: str | None = None) -> IssuedDocument:
    """Compute the verification code and draw the PDF. Store `fields` and `code`; `pdf` can always be
    drawn again from them."""
    code = verification_code(fields, key)
    url = verify_url.format(code=code) if verify_url else None
    return IssuedDocument(fields=fields, code=code, pdf=render_pdf(fields, code, url))


__all__ = [
    "DocumentFields",
    "IssuedDocument",
    "document_fields",
    "document_id_for",
    "issue_document",
    "normalise_code",
    "render_pdf",
    "verification_code",
    "verify_code",
]
