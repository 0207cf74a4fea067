"""Text normalisation shared by duplicate detection and search: the same folding everywhere."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_PUNCTUATION_AND_QUOTES = re.compile(r"[\"'«»„“”‘’`.,:;!?()\[\]{}…]+")


def fold_text(text: str) -> str:
    """Case-folded, ё→е, NFKC-normalised, whitespace collapsed: "  Рюкзачок  ЗНАНИЙ " → "рюкзачок знаний"."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", folded).strip()


def normalise_title(title: str) -> str:
    """A title for comparing entries: folded, quotes and punctuation ignored ("«Рюкзачок знаний»!")."""
    return fold_text(_PUNCTUATION_AND_QUOTES.sub(" ", unicodedata.normalize("NFKC", title)))


def normalise_full_name(full_name: str) -> str:
    """A person's full name for comparison: folded, dots and commas ignored, words kept in order."""
    return normalise_title(full_name)


def normalise_email(email: str) -> str:
    """An e-mail address for comparison: NFKC-normalised, trimmed and case-folded."""
    return unicodedata.normalize("NFKC", email).strip().casefold()


def normalise_library(library: str) -> str:
    """A library's name for comparison: folded like a title ("ЦБС г. Белово" = "цбс г белово")."""
    return normalise_title(library)
