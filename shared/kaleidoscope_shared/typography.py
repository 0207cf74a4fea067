"""Typography shared by what people read: quotation marks by each language's rules."""

from __future__ import annotations

# Quotation marks: the outer pair and the pair for a quotation inside it.
QUOTES = {"ru": ("«", "»", "„", "“"), "en": ("“", "”", "‘", "’")}
_OPENING = "«„“‘‚"
_CLOSING = "»“”’"
_PAIRS = {"«": "»", "„": "“", "“": "”", "‘": "’", '"': '"', "'": "'"}


def quoted(text: str, language: str) -> str:
    """`text` in the language's quotation marks, a quotation inside it in the inner ones whatever
    marks it was typed with: «Квест „Тайны старой Анжерки“», “A ‘Secret’ Quest”. A text typed
    already quoted whole is not quoted twice."""
    outer_open, outer_close, inner_open, inner_close = QUOTES.get(language, QUOTES["ru"])
    text = text.strip()
    if len(text) > 1 and _PAIRS.get(text[0]) == text[-1] and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return f"{outer_open}{_inner(text, inner_open, inner_close)}{outer_close}"


def _balanced(text: str) -> bool:
    """No closing mark before its opening one: «a» b «c» is not one quotation."""
    depth = 0
    for character in text:
        if character in "«„":
            depth += 1
        elif character in "»":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _inner(text: str, opening: str, closing: str) -> str:
    """Every quotation mark in `text` turned into the inner pair: an opening one where it begins a
    word, a closing one where it ends a word (so straight quotes " and ' are read by position)."""
    out = []
    for at, character in enumerate(text):
        if character not in _OPENING + _CLOSING + '"':
            out.append(character)
            continue
        before = text[at - 1] if at else " "
        if character == "“" or character == '"':  # an opening mark in Russian, a closing one in English
            begins = before.isspace() or before in "([-—–" + _OPENING
        else:
            begins = character in _OPENING
        out.append(opening if begins else closing)
    return "".join(out)
