"""The entry form: what the participant typed ↔ the submissions API's entry, and its errors by field.

The form is checked here first, so that the common mistakes (a blank title, a missing author's name, an
e-mail without @, no consent) are told beside the field in the visitor's language without a trip to the
API; whatever the API still refuses is mapped back to the field it concerns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..adapters.api import ApiProblem
from ..i18n import _
from .forms import FieldErrors

AUTHOR_FIELDS = ("full_name", "position", "library", "territory_code", "email", "language")
MAX_AUTHORS = 10
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LINK = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)


@dataclass
class EntryForm:
    """Everything the form holds, typed values kept as typed (so nothing is lost on an error)."""

    nomination_code: str = ""
    title: str = ""
    annotation: str = ""
    links: str = ""
    authors: list[dict[str, str]] = field(default_factory=lambda: [blank_author()])
    attachments: list[dict[str, Any]] = field(default_factory=list)
    consent: bool = False

    @classmethod
    def from_form(cls, form: Any) -> EntryForm:
        count = min(int(str(form.get("author_count") or "1") or 1), MAX_AUTHORS)
        authors = [
            {name: str(form.get(f"authors-{i}-{name}") or "").strip() for name in AUTHOR_FIELDS}
            for i in range(count)
        ]
        attachments = []
        for raw in form.getlist("attachment"):
            try:
                ref = json.loads(str(raw))
            except ValueError:
                continue
            if isinstance(ref, dict) and {"key", "filename", "media_type", "size_bytes"} <= ref.keys():
                attachments.append(ref)
        return cls(
            nomination_code=str(form.get("nomination_code") or "").strip(),
            title=str(form.get("title") or "").strip(),
            annotation=str(form.get("annotation") or "").strip(),
            links=str(form.get("links") or "").strip(),
            authors=authors or [blank_author()],
            attachments=attachments,
            consent=form.get("consent") == "yes",
        )

    @classmethod
    def from_entry(cls, content: dict[str, Any]) -> EntryForm:
        return cls(
            nomination_code=content["nomination_code"],
            title=content["title"],
            annotation=content.get("annotation", ""),
            links="\n".join(content.get("links", [])),
            authors=[
                {name: str(author.get(name) or "") for name in AUTHOR_FIELDS}
                | {"language": author.get("language") or "ru"}
                for author in content["authors"]
            ],
            attachments=list(content.get("attachments", [])),
            consent=bool(content.get("consent_to_personal_data")),
        )

    def link_list(self) -> list[str]:
        return [line.strip() for line in self.links.splitlines() if line.strip()]

    def check(self, contest: dict[str, Any]) -> FieldErrors:
        errors = FieldErrors()
        if self.nomination_code not in {n["code"] for n in contest["nominations"]}:
            errors.add("nomination_code", _("Choose the nomination."))
        if not self.title:
            errors.add("title", _("Enter the project's title."))
        elif len(self.title) > 500:
            errors.add("title", _("The title must be at most 500 characters."))
        for line in self.link_list():
            if not LINK.match(line):
                errors.add("links", _("Each link must be a web address starting with http:// or https://."))
        territories = {t["code"] for t in contest["territories"]}
        for i, author in enumerate(self.authors):
            if not author["full_name"]:
                errors.add(f"authors-{i}-full_name", _("Enter the author's full name."))
            if author["territory_code"] not in territories:
                errors.add(f"authors-{i}-territory_code", _("Choose the author's territory."))
            if author["email"] and not EMAIL.match(author["email"]):
                errors.add(f"authors-{i}-email", _("Enter an e-mail address like name@library.ru."))
        if not self.authors[0]["email"]:
            errors.add(
                "authors-0-email", _("Enter the e-mail of the first author: the private link is sent there.")
            )
        if contest["rules"].get("consent_required", True) and not self.consent:
            errors.add("consent", _("Tick the box to confirm the authors' consent."))
        return errors

    def content(self) -> dict[str, Any]:
        """The entry as the submissions API takes it."""
        return {
            "nomination_code": self.nomination_code,
            "title": self.title,
            "annotation": self.annotation,
            "links": self.link_list(),
            "authors": [
                {
                    "full_name": a["full_name"],
                    "position": a["position"],
                    "library": a["library"],
                    "territory_code": a["territory_code"],
                    "email": a["email"] or None,
                    "language": a["language"] if a["language"] in ("ru", "en") else "ru",
                }
                for a in self.authors
            ],
            "attachments": self.attachments,
            "consent_to_personal_data": self.consent,
        }


def blank_author() -> dict[str, str]:
    return {name: "" for name in AUTHOR_FIELDS} | {"language": "ru"}


def errors_of(problem: ApiProblem) -> FieldErrors:
    """The API's refusal, told beside the field it concerns, in the visitor's language."""
    errors = FieldErrors()
    for error in problem.errors:
        location = [str(part) for part in error.get("location", []) if part != "body"]
        name = "-".join(location[:3]) if location[:1] == ["authors"] else (location[0] if location else "")
        message = FIELD_MESSAGES.get(name.split("-")[-1], _("Check this field."))
        errors.add(name or "form", message() if callable(message) else message)
    if errors:
        return errors
    known: dict[str, tuple[str, Callable[[], str]]] = {
        "Unknown nomination": ("nomination_code", lambda: _("Choose one of this contest's nominations.")),
        "Unknown territory": (
            "authors-0-territory_code",
            lambda: _("Choose one of this contest's territories."),
        ),
        "Consent to personal-data processing is required": (
            "consent",
            lambda: _("Tick the box to confirm the authors' consent."),
        ),
        "The same entry was already submitted": (
            "title",
            lambda: _(
                "An entry with this title by the same author is already in the contest. Open it by "
                "the private link from your e-mail and edit it instead."
            ),
        ),
        "Too many entries by one author in this nomination": (
            "nomination_code",
            lambda: _(
                "One of the authors already has as many entries in this nomination as the rules allow. "
                "Choose another nomination or withdraw an earlier entry."
            ),
        ),
        "The submission deadline has passed": ("form", lambda: _("The submission deadline has passed.")),
        "Submissions were closed by the organisers": (
            "form",
            lambda: _(
                "The organisers closed submissions early, before the deadline; entries can no longer be "
                "sent, changed or withdrawn."
            ),
        ),
        "Submissions are not open yet": ("form", lambda: _("Submissions are not open yet.")),
        "The contest is not in the right state": (
            "form",
            lambda: _("The contest no longer accepts entries."),
        ),
        "The entry was withdrawn": (
            "form",
            lambda: _("The entry was withdrawn and can no longer be changed."),
        ),
        "A reason for the withdrawal is required": ("reason", lambda: _("Say why the entry is withdrawn.")),
    }
    field_name, message = known.get(problem.title, ("form", lambda: problem.detail or problem.title))
    errors.add(field_name, message())
    return errors


FIELD_MESSAGES: dict[str, Any] = {
    "email": lambda: _("Enter an e-mail address like name@library.ru."),
    "full_name": lambda: _("Enter the author's full name."),
    "title": lambda: _("Enter the project's title."),
    "links": lambda: _("Each link must be a web address starting with http:// or https://."),
    "territory_code": lambda: _("Choose the author's territory."),
    "nomination_code": lambda: _("Choose the nomination."),
}


def upload_refusal(problem: ApiProblem, max_size_mb: str) -> str:
    """Why an upload was refused, in the visitor's language."""
    if problem.status == 413:
        return _("The file is larger than %(size)s MB; make it smaller or send a link to it instead.") % {
            "size": max_size_mb
        }
    if problem.status == 415:
        return _("This kind of file is not accepted; send PDF, an image or a text document.")
    if problem.status == 409:
        return _("Submissions are closed; files can no longer be uploaded.")
    return problem.detail or problem.title
