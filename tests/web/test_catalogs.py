"""Every string a page shows is translated into Russian and English, and the compiled catalogs are the
ones the sources and the .po files describe."""

from __future__ import annotations

import gettext
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import web

WEB = Path(web.__file__).parent
LOCALE = WEB / "locale"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=language)


def source_strings() -> set[object]:
    found: set[object] = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        WEB, METHODS, OPTIONS, KEYWORDS, strip_comment_tags=True
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_string_is_translated(language: str) -> None:
    untranslated = [
        message.id
        for message in catalog(language)
        if message.id
        and (
            message.fuzzy
            or not (all(message.string) if isinstance(message.string, tuple) else message.string)
        )
    ]
    assert not untranslated, (
        f"untranslated in {language} (translate them, then make translations): {untranslated}"
    )


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_catalog_holds_exactly_the_strings_of_the_pages(language: str) -> None:
    ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog(language) if m.id}
    in_sources = source_strings()
    assert not in_sources - ids, f"run make messages: missing from {language}: {in_sources - ids}"
    assert not ids - in_sources, f"run make messages: no longer used in {language}: {ids - in_sources}"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_compiled_catalog_matches_its_source(language: str) -> None:
    compiled = BytesIO()
    write_mo(compiled, catalog(language))
    expected = gettext.GNUTranslations(BytesIO(compiled.getvalue()))
    with (LOCALE / language / "LC_MESSAGES" / "messages.mo").open("rb") as file:
        shipped = gettext.GNUTranslations(file)
    assert shipped._catalog == expected._catalog, "run make translations"  # type: ignore[attr-defined]
