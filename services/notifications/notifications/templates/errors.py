"""Template problems reported with where they are (file, line) and what to do about them."""

from __future__ import annotations

import traceback
from dataclasses import dataclass

from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    kind: str
    language: str
    part: str
    source: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where} ({self.kind}, {self.language}, {self.part}): {self.message}"


class TemplatesInvalid(Exception):
    """One or more templates cannot produce a message; `problems` says which and why."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        self.problems = problems
        super().__init__("notification templates are invalid:\n" + "\n".join(f"  - {p}" for p in problems))


def problem_from(exc: Exception, kind: str, language: str, part: str) -> TemplateProblem:
    name = f"{language}/{kind}/{part}.j2"
    if isinstance(exc, TemplateSyntaxError):
        return TemplateProblem(
            kind, language, part, exc.filename or name, exc.lineno, f"syntax error: {exc.message}"
        )
    if isinstance(exc, TemplateNotFound):
        return TemplateProblem(kind, language, part, name, None, "template is missing")
    source, line = _template_frame(exc, name)
    if isinstance(exc, UndefinedError):
        message = (
            f"undefined variable: {exc.message}; see the sample context of {kind!r} for what is available"
        )
    elif isinstance(exc, SecurityError):
        message = f"not allowed in the sandbox: {exc}"
    else:
        message = f"{type(exc).__name__}: {exc}"
    return TemplateProblem(kind, language, part, source, line, message)


def _template_frame(exc: Exception, fallback: str) -> tuple[str, int | None]:
    """Jinja rewrites tracebacks so template frames carry the template's file and line."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno
    return fallback, None
