"""What a document (a diploma or thank-you letter) says: the fields its verification code covers."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, fields
from datetime import date

from ..domain.kinds import DocumentKind, Language


@dataclass(frozen=True, slots=True)
class DocumentFields:
    """Everything printed on a document that matters for its authenticity. Store these with the
    document id: the public verification endpoint recomputes the code from them."""

    document_id: uuid.UUID
    kind: DocumentKind
    recipient_name: str
    project_title: str
    nomination: str
    contest_title: str
    issued_on: date
    organisers: tuple[str, ...]
    position: str = ""
    library: str = ""
    place: int | None = None
    city: str = ""
    language: Language = "ru"
    signatories: tuple[tuple[str, str], ...] = ()
    """(name, position) of each person who signs the document, from the contest's settings."""
    mention: str = ""
    """A special mention's words, as the jury declared them."""

    def __post_init__(self) -> None:
        if self.kind is DocumentKind.WINNER_DIPLOMA and self.place is None:
            raise ValueError("a winner's diploma needs the place awarded")

    def canonical(self) -> bytes:
        """A stable byte form: same fields, same bytes, whatever the Python version or field order."""
        data = {field.name: getattr(self, field.name) for field in fields(self)}  # asdict deep-copies
        for name, default in _ADDED_LATER.items():  # left out at their default: old codes still verify
            if data[name] == default:
                del data[name]
        data |= {
            "document_id": str(self.document_id),
            "kind": self.kind.value,
            "issued_on": self.issued_on.isoformat(),
            "organisers": list(self.organisers),
        }
        if "signatories" in data:
            data["signatories"] = [list(signatory) for signatory in self.signatories]
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


_ADDED_LATER: dict[str, object] = {"signatories": (), "mention": ""}
"""Fields documents did not have when codes were first issued, with the value they stand for there."""
