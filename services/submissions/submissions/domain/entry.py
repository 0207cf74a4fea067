"""An entry as its participants submit it: authors, nomination, title, annotation, links, attachments."""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from kaleidoscope_shared.contracts.email import Email

from .contest import Code, Text, Value
from .text import normalise_email, normalise_full_name, normalise_library

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


def _language_tag(value: object) -> object:
    """ "EN", " en-GB ", "ru_RU" → "en", "en", "ru": the primary subtag of a language tag, lower-cased."""
    if isinstance(value, str):
        return re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return value


Language = Annotated[Literal["ru", "en"], BeforeValidator(_language_tag)]
"""The language of the letters and documents an author receives."""

# The JSON schemas say what the validators check, so that the API's document does (a subset for links:
# every address it describes is accepted).
HttpLink = Annotated[
    str,
    StringConstraints(max_length=2000),
    AfterValidator(_http_link),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 2000,
            "pattern": r"^ *[hH][tT][tT][pP][sS]?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][^\s\x00-\x1f\x7f]*)? *$",
            "description": "A web address starting with http:// or https://",
        }
    ),
]
Phone = Annotated[
    str | None,
    AfterValidator(_phone),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^ *\+?[\d()\-][\d ()\-]{3,23}[\d()\-] *$"},
                {"type": "null"},
            ],
            "description": "Digits, spaces, brackets and dashes, e.g. +7 3842 44-18-68",
        }
    ),
]


class Author(Value):
    """One author of an entry: a librarian of a library in one of the contest's territories."""

    full_name: Text
    position: str = ""
    library: str = ""
    territory_code: Code
    email: Email | None = None
    phone: Phone = None
    language: Language = Field(
        "ru", description="the language of the letters and documents this author receives: ru or en"
    )

    def identity_key(self) -> str:
        """Who this person is across entries: their e-mail, case-folded, when they give one.

        Namesakes with different e-mails are different people. Without an e-mail, the folded full
        name together with the folded library stands for the person: namesakes from different
        libraries stay apart, while the same name in the same library counts as one person (and the
        same person sending once with and once without an e-mail counts as two).
        """
        if self.email:
            return f"email:{normalise_email(self.email)}"
        return f"name:{normalise_full_name(self.full_name)}|library:{normalise_library(self.library)}"


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

    @model_validator(mode="before")
    @classmethod
    def _entry_language(cls, data: Any) -> Any:
        """`language` given for the whole entry: the language of each author who does not choose one."""
        if not isinstance(data, dict) or "language" not in data:
            return data
        data = dict(data)
        language = _language_tag(data.pop("language"))
        if language is None:
            return data
        if language not in get_args(get_args(Language)[0]):
            raise ValueError(f"language {language!r} is not offered; choose ru or en")
        authors = data.get("authors")
        if isinstance(authors, list | tuple):
            data["authors"] = [
                {**author, "language": language}
                if isinstance(author, dict) and author.get("language") is None
                else author
                for author in authors
            ]
        return data

    def author_keys(self) -> frozenset[str]:
        """The identity key of every author: what to look other entries up by."""
        return frozenset(a.identity_key() for a in self.authors)


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


def content_changes(before: EntryContent, after: EntryContent) -> tuple[str, ...]:
    """The names of the content's fields that differ between two revisions, in the content's order."""
    return tuple(name for name in EntryContent.model_fields if getattr(before, name) != getattr(after, name))
