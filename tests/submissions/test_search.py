"""One normalisation for search documents and queries: case-folded, ё→е, punctuation ignored."""

from __future__ import annotations

import pytest

from submissions.adapters.search import (
    like_pattern,
    matches,
    normalise_for_search,
    search_document,
    search_terms,
)
from submissions.domain import submit_entry

from .conftest import make_author, make_content


@pytest.mark.parametrize(
    "text, expected",
    [
        ("«Рюкзачок ЗНАНИЙ»", "рюкзачок знаний"),
        ("Ёлка и ЁЖИК", "елка и ежик"),
        ("Киселёвск", "киселевск"),
        ("Кисел\u0435\u0308вск", "киселевск"),  # ё typed as е + combining diaeresis
        ("  Творим\tисторию,\nвместе! ", "творим историю вместе"),
    ],
)
def test_text_is_normalised_for_search(text: str, expected: str) -> None:
    assert normalise_for_search(text) == expected


def test_an_entry_is_found_by_words_of_its_title_its_authors_names_and_libraries(contest, clock) -> None:
    author = make_author(full_name="Федотова Алёна Викторовна", library="Библиотека «Берёзка»")
    content = make_content(title="Ёлочные игрушки", authors=(author,))
    entry = submit_entry(contest, content, existing=[], clock=clock).entry
    assert search_document(entry) == "елочные игрушки федотова алена викторовна библиотека березка"
    assert matches(entry, "ЕЛОЧНЫЕ алёна")
    assert matches(entry, "БЕРЁЗКА")
    assert not matches(entry, "рюкзачок")


def test_query_terms_and_like_patterns_escape_sql_wildcards() -> None:
    assert search_terms("100% успех_2") == ["100", "успех_2"]
    assert like_pattern("100%_\\") == "%100\\%\\_\\\\%"
