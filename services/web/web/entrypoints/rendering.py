"""Rendering a page: the Jinja2 environment with gettext, and what every template may use."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kaleidoscope_shared.typography import quoted

from ..adapters.session import CSRF_FIELD, csrf_token
from ..i18n import LANGUAGES, _, current_language, ngettext

TEMPLATES = Path(__file__).parent.parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)  # type: ignore[attr-defined]


PATTERNS = {"medium": "d MMMM y, HH:mm", "long": "d MMMM y, HH:mm (ZZZZ)"}


def when(value: str | datetime | None, zone: str | None = None, form: str = "medium") -> str:
    """A moment in the visitor's language ("4 декабря 2026, 14:11"), in the contest's time zone."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if zone:
        moment = moment.astimezone(ZoneInfo(zone))
    return format_datetime(moment, format=PATTERNS.get(form, form), locale=current_language.get())


def day(value: str | date | None) -> str:
    """A calendar date in the visitor's language ("1 декабря 2026 г.")."""
    if not value:
        return ""
    return format_date(
        date.fromisoformat(value) if isinstance(value, str) else value,
        format="long",
        locale=current_language.get(),
    )


def filesize(size: int) -> str:
    """1536 → "2 KB", 3670016 → "3.5 MB", in the visitor's language (a file is never "0 KB")."""
    if size >= 1024 * 1024:
        return _("%(size)s MB") % {
            "size": format_decimal(round(size / 1024 / 1024, 1), locale=current_language.get())
        }
    return _("%(size)s KB") % {"size": max(1, math.ceil(size / 1024))}


def figure(value: Any) -> str:
    """A score or aggregate with two decimals in the visitor's number format (8,21 / 8.21); "—" for none."""
    if value is None:
        return "—"
    return format_decimal(float(value), format="0.00", locale=current_language.get())


def localised(value: Any) -> str:
    """An organiser-entered text given in both languages ({"ru": …, "en": …}) or as one string."""
    if isinstance(value, dict):
        return str(value.get(current_language.get()) or value.get("ru") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def in_quotes(value: Any) -> str:
    """A title in the visitor's language's quotation marks, a quotation inside it in the inner ones:
    «Квест „Тайны старой Анжерки“», “A ‘Secret’ Quest”."""
    return quoted("" if value is None else str(value), current_language.get())


environment.filters["when"] = when
environment.filters["figure"] = figure
environment.filters["quoted"] = in_quotes
environment.filters["localised"] = localised
environment.filters["day"] = day
environment.filters["filesize"] = filesize


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    language = current_language.get()
    page = environment.get_template(template).render(
        request=request,
        lang=language,
        other_languages=[code for code in LANGUAGES if code != language],
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request),
        path=request.url.path,
        query=request.url.query,
        **{"time_zone": request.app.state.settings.display_time_zone, **context},
    )
    return HTMLResponse(page, status_code=status_code)
