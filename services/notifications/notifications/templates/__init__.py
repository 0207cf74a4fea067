"""Notification texts: Jinja2 templates per kind and language, rendered in a sandbox."""

from .catalogue import BUILTIN_FOLDER, RenderedMessage, TemplateCatalogue
from .errors import TemplateProblem, TemplatesInvalid
from .samples import sample_context

__all__ = [
    "BUILTIN_FOLDER",
    "RenderedMessage",
    "TemplateCatalogue",
    "TemplateProblem",
    "TemplatesInvalid",
    "sample_context",
]
