"""Message templates: which exist, and previews rendered against a sample event."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kaleidoscope_shared.http.problems import ProblemError

from ...domain import LANGUAGES, NotificationKind
from ...domain.kinds import kind_named
from ...templates import RenderedMessage, TemplateCatalogue, TemplatesInvalid, sample_context
from ...templates.limits import MAX_TEMPLATE_CHARS, RenderLimits
from .deps import ORGANISER_ONLY, ServiceDep

DRAFT_LIMITS = RenderLimits()

router = APIRouter(tags=["templates"], dependencies=ORGANISER_ONLY)


class TemplateKind(BaseModel):
    kind: str
    languages: list[str]
    variables: list[str]


class Preview(BaseModel):
    kind: str
    language: str
    subject: str
    text: str
    html: str | None


class DraftTemplate(BaseModel):
    """Parts to try instead of the current ones; a part left out keeps the built-in text."""

    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(None, max_length=MAX_TEMPLATE_CHARS)
    text: str | None = Field(None, max_length=MAX_TEMPLATE_CHARS)
    html: str | None = Field(None, max_length=MAX_TEMPLATE_CHARS)


@router.get("/templates", response_model=list[TemplateKind])
def list_templates() -> list[TemplateKind]:
    """Every kind of message, its languages, and the variables its templates may use."""
    return [
        TemplateKind(kind=k.value, languages=list(LANGUAGES), variables=sorted(sample_context(k)))
        for k in NotificationKind
    ]


@router.get("/templates/{kind}/{language}/preview", response_model=Preview)
def preview_template(kind: str, language: str, service: ServiceDep) -> Preview:
    """The message as the service would send it now, rendered against a sample event."""
    checked_kind, checked_language = _checked(kind, language)
    return _render(service.catalogue, checked_kind, checked_language)


@router.post("/templates/{kind}/{language}/preview", response_model=Preview)
def preview_draft(kind: str, language: str, draft: DraftTemplate, service: ServiceDep) -> Preview:
    """Render a draft of a template against a sample event, in the same sandbox as real messages.
    A syntax error or an unknown variable is answered with 422 and where it is; so is a draft part
    longer than 50,000 characters, and a draft whose rendering grows past 200,000 characters a part
    or takes longer than 2 seconds (a runaway loop)."""
    checked_kind, checked_language = _checked(kind, language)
    with tempfile.TemporaryDirectory() as folder:
        parts = Path(folder) / checked_language / checked_kind.value
        parts.mkdir(parents=True)
        for part, source in draft.model_dump(exclude_none=True).items():
            (parts / f"{part}.j2").write_text(source, encoding="utf-8")
        catalogue = TemplateCatalogue(Path(folder), timezone=service.settings.timezone, limits=DRAFT_LIMITS)
        return _render(catalogue, checked_kind, checked_language)


def _checked(kind: str, language: str) -> tuple[NotificationKind, str]:
    """The kind as stored (`deadline_changed`) or with dashes (`deadline-changed`), and the language."""
    checked = kind_named(kind)
    if checked is None:
        known = ", ".join(k.value for k in NotificationKind)
        raise ProblemError(404, "Unknown template", f"No message kind is called {kind!r}; known: {known}.")
    if language not in LANGUAGES:
        raise ProblemError(
            404, "Unknown language", f"Templates exist in {', '.join(LANGUAGES)}, not {language!r}."
        )
    return checked, language


def _render(catalogue: TemplateCatalogue, kind: NotificationKind, language: str) -> Preview:
    try:
        rendered: RenderedMessage = catalogue.preview(kind, language)
    except TemplatesInvalid as error:
        problems: list[dict[str, Any]] = [
            {"part": p.part, "source": Path(p.source).name, "line": p.line, "message": p.message}
            for p in error.problems
        ]
        detail = "; ".join(f"{p['part']} line {p['line']}: {p['message']}" for p in problems)
        raise ProblemError(422, "The template cannot be rendered", detail, problems=problems) from error
    return Preview(
        kind=kind.value, language=language, subject=rendered.subject, text=rendered.text, html=rendered.html
    )
