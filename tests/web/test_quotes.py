"""Titles on pages are quoted by the visitor's language's rules, a quotation inside in the inner marks."""

from __future__ import annotations

import pytest

from web.entrypoints.rendering import environment
from web.i18n import current_language


@pytest.mark.parametrize(
    ("language", "title", "shown"),
    [
        ("ru", "Квест «Тайны старой Анжерки»", "«Квест „Тайны старой Анжерки“»"),
        (
            "ru",
            "Квест «Тайны старой Анжерки» для школьников",
            "«Квест „Тайны старой Анжерки“ для школьников»",
        ),
        ("ru", 'Квест "Тайны"', "«Квест „Тайны“»"),
        ("ru", "«Рюкзачок знаний»", "«Рюкзачок знаний»"),
        ("en", 'The "Secret" Quest', "“The ‘Secret’ Quest”"),
    ],
)
def test_a_title_is_quoted_once_with_inner_quotes_by_the_languages_rules(
    language: str, title: str, shown: str
) -> None:
    token = current_language.set(language)
    try:
        assert environment.from_string("{{ title|quoted }}").render(title=title) == shown
    finally:
        current_language.reset(token)
