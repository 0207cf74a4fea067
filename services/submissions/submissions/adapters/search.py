"""Full-text search on entries' titles, authors and their libraries: one normalisation for what is stored and what is asked.

The SQL layer stores `search_document(entry)` in an indexed column and matches it against
`search_terms(query)`, each term through `like_pattern` (`... LIKE :pattern ESCAPE '\\'`), so that
"ЁЛКА", "ёлка" and "Елка" find each other on SQLite and PostgreSQL alike, with no collation tricks.
"""

from __future__ import annotations

import re

from ..domain.entry import Entry
from ..domain.text import fold_text

_WORD_SEPARATORS = re.compile(r"[^\w]+")


def normalise_for_search(text: str) -> str:
    """Case-folded, ё→е, punctuation turned into spaces: "«Рюкзачок знаний»" → "рюкзачок знаний"."""
    return fold_text(_WORD_SEPARATORS.sub(" ", fold_text(text)))


def search_document(entry: Entry) -> str:
    """The text an entry is found by: its title, its authors' full names and libraries, normalised."""
    authors = entry.content.authors
    parts = [entry.content.title, *(a.full_name for a in authors), *(a.library for a in authors)]
    return normalise_for_search(" ".join(parts))


def search_terms(query: str) -> list[str]:
    """The normalised words of a query, each of which must occur in the document."""
    return normalise_for_search(query).split()


def like_pattern(term: str) -> str:
    """A `LIKE` pattern matching `term` anywhere, with `%`, `_` and `\\` escaped (use ESCAPE '\\')."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matches(entry: Entry, query: str) -> bool:
    """In-memory equivalent of the SQL match, for fakes and small lists."""
    document = search_document(entry)
    return all(term in document for term in search_terms(query))
