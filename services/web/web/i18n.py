"""Russian first, English second: the visitor's language and the gettext catalogs.

Every string a page shows goes through gettext (`{% trans %}`/`_()` in templates, `_()` in code); the
catalogs live in `locale/<lang>/LC_MESSAGES/messages.po` (`make messages` extracts and updates them,
`make translations` compiles them). The language is the `lang` cookie (set by the switch on every
page), else the browser's Accept-Language, else Russian.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from starlette.requests import Request

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
LANGUAGE_COOKIE = "lang"
LOCALE_DIR = Path(__file__).parent / "locale"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language`; a missing .mo falls back to the source text."""
    return gettext.translation("messages", LOCALE_DIR, languages=[language], fallback=True)


def _(message: str) -> str:
    """`message` in the current visitor's language."""
    return catalog(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(current_language.get()).ngettext(singular, plural, n)


def language_of(request: Request) -> str:
    """The language chosen by the visitor (cookie), else the first of theirs we speak, else Russian."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
