"""An entry as its participants submit it: authors, nomination, title, annotation, links, attachments."""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from kaleidoscope_shared.contracts.email import Email

from .contest import Code, Text, Value
from .text import normalise_email, normalise_full_name

_PHONE = re.compile(r"^\+?[\d\s()\-]{5,25}$")


def _http_link(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"link {url!r} must be a web address starting with http:// or https://")
    return url.strip()


def _phone(number: str | None) -> str | None:
    if number is not None and not _PHONE.fullmatch(number.strip()):
        raise ValueError(f"phone {number!r} should contain digits only, e.g. +7 3842 44-18-68")
    return number.strip() if number else None


HttpLink = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_http_link)]
Phone = Annotated[str | None, AfterValidator(_phone)]


class Author(Value):
    """One author of an entry: a librarian of a library in one of the contest's territories."""

    full_name: Text
    position: str = ""
    library: str = ""
    territory_code: Code
    email: Email | None = None
    phone: Phone = None
    language: Literal["ru", "en"] = Field(
        "ru", description="the language of the letters and documents this author receives"
    )

    def identity_keys(self) -> frozenset[str]:
        """Keys that identify this person across entries: the normalised name, and the e-mail if any."""
        keys = {f"name:{normalise_full_name(self.full_name)}"}
        if self.email:
            keys.add(f"email:{normalise_email(self.email)}")
        return frozenset(keys)


class AttachmentRef(Value):
    """A file already stored (see `adapters.storage`) and attached to an entry."""

    key: str
    filename: Text
    media_type: str
    size_bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class EntryContent(Value):
    """Everything a participant fills in; the same shape for a submission and for an edit."""

    nomination_code: Code
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    annotation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)] = ""
    authors: tuple[Author, ...] = Field(min_length=1, max_length=20)
    links: tuple[HttpLink, ...] = Field(default=(), max_length=20)
    attachments: tuple[AttachmentRef, ...] = Field(default=(), max_length=20)
    consent_to_personal_data: bool = False

    def author_keys(self) -> frozenset[str]:
        """Every identity key of every author: what to look other entries up by."""
        return frozenset().union(*(a.identity_keys() for a in self.authors))


class EntryStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class Entry(Value):
    """A submitted entry at its latest revision (1 on submission, +1 for each edit or withdrawal)."""

    id: uuid.UUID
    contest_id: uuid.UUID
    revision: int = Field(ge=1)
    status: EntryStatus = EntryStatus.SUBMITTED
    content: EntryContent
    submitted_at: AwareDatetime
    updated_at: AwareDatetime
    withdrawn_at: AwareDatetime | None = None
    withdrawal_reason: str | None = None
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @property
    def is_withdrawn(self) -> bool:
        return self.status is EntryStatus.WITHDRAWN
