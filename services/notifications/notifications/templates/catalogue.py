"""Rendering notifications from Jinja2 templates in a sandbox.

Layout, in the built-in folder and in an optional override folder (searched first):
`<language>/<kind>/subject.j2`, `text.j2` and, optionally, `html.j2` (the only part autoescaped);
`<language>/_*.j2` are partials (e.g. the signature) that templates include.
Every template is checked at load — syntax, and a render with the kind's sample context so an
undefined variable is caught — and a message is rendered whole or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

from ..domain.kinds import LANGUAGES, NotificationKind
from .errors import TemplateProblem, TemplatesInvalid, problem_from
from .filters import FILTERS
from .limits import BoundedSandbox, RenderLimits, bounded_filters
from .samples import sample_context

BUILTIN_FOLDER = Path(__file__).parent / "builtin"
PARTS = ("subject", "text", "html")
REQUIRED_PARTS = ("subject", "text")


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    text: str
    html: str | None = None


class TemplateCatalogue:
    """All notification templates. Build with `TemplateCatalogue.load()`, which refuses to start on
    a broken template; `render` then raises `TemplatesInvalid` only for a context that lacks a value."""

    def __init__(
        self,
        override_folder: Path | None = None,
        *,
        timezone: str | None = None,
        limits: RenderLimits | None = None,
    ) -> None:
        """`limits` bounds each part's output and rendering time (a draft being previewed)."""
        folders = [str(override_folder)] if override_folder else []
        self.override_folder = override_folder
        self.timezone = timezone
        self.limits = limits
        sandbox = BoundedSandbox if limits else SandboxedEnvironment
        self._env = sandbox(
            loader=FileSystemLoader([*folders, str(BUILTIN_FOLDER)]),  # override first
            undefined=StrictUndefined,
            autoescape=lambda name: bool(name) and name.endswith("html.j2"),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,  # checked at load; not a file system check per message
        )
        self._env.filters.update(FILTERS)
        if limits:
            self._env.filters = bounded_filters(self._env.filters, limits.max_output_chars)

    @classmethod
    def load(cls, override_folder: Path | None = None, *, timezone: str | None = None) -> TemplateCatalogue:
        """A catalogue whose every template compiles and renders its sample; else `TemplatesInvalid`."""
        catalogue = cls(override_folder, timezone=timezone)
        problems = catalogue.validate()
        if problems:
            raise TemplatesInvalid(problems)
        return catalogue

    def render(
        self, kind: NotificationKind | str, language: str, context: Mapping[str, Any]
    ) -> RenderedMessage:
        kind = NotificationKind(kind)
        values = {**context, "language": language, "timezone": self.timezone}
        parts: dict[str, str | None] = {}
        problems: list[TemplateProblem] = []
        for part in PARTS:
            try:
                parts[part] = self._render_part(kind, language, part, values)
            except Exception as exc:  # any template failure becomes a reported problem
                problems.append(problem_from(exc, kind, language, part))
        if problems:
            raise TemplatesInvalid(problems)
        return RenderedMessage(
            subject=" ".join((parts["subject"] or "").split()),
            text=(parts["text"] or "").strip() + "\n",
            html=parts["html"],
        )

    def preview(self, kind: NotificationKind | str, language: str) -> RenderedMessage:
        """The message rendered with the kind's sample context, for an organiser editing a template."""
        return self.render(kind, language, sample_context(NotificationKind(kind)))

    def validate(self) -> list[TemplateProblem]:
        """Every problem of every template: missing, syntax errors, undefined variables, stray files."""
        problems: list[TemplateProblem] = []
        for kind in NotificationKind:
            for language in LANGUAGES:
                try:
                    self.preview(kind, language)
                except TemplatesInvalid as exc:
                    problems += exc.problems
        return problems + self._stray_overrides()

    def _render_part(
        self, kind: NotificationKind, language: str, part: str, values: dict[str, Any]
    ) -> str | None:
        name = f"{language}/{kind.value}/{part}.j2"
        try:
            template = self._env.get_template(name)
        except TemplateNotFound:
            if part in REQUIRED_PARTS:
                raise
            return None
        if self.limits:
            return self.limits.render(template, values)
        return template.render(values)

    def _stray_overrides(self) -> list[TemplateProblem]:
        """Files in the override folder that no kind uses: almost always a misspelt name."""
        if not self.override_folder or not self.override_folder.is_dir():
            return []
        known = {
            f"{lang}/{kind.value}/{part}.j2"
            for lang in LANGUAGES
            for kind in NotificationKind
            for part in PARTS
        }
        return [
            TemplateProblem(
                kind="?",
                language="?",
                part="?",
                source=str(path),
                line=None,
                message="no notification uses this file; expected <language>/<kind>/<subject|text|html>.j2",
            )
            for path in sorted(self.override_folder.rglob("*.j2"))
            if path.relative_to(self.override_folder).as_posix() not in known
            and not path.name.startswith("_")
        ]
