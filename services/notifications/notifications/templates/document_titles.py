"""What each document is called, in each language: the letters name the documents they carry, and
attachments are named after them. A new document kind adds its titles here; until then it is called
by its kind's name."""

from __future__ import annotations

from collections.abc import Iterable

DOCUMENT_TITLES: dict[str, dict[str, str]] = {
    "ru": {
        "thank_you_letter": "Благодарственное письмо",
        "participant_diploma": "Диплом участника",
        "finalist_diploma": "Диплом финалиста",
        "winner_diploma": "Диплом победителя",
        "special_mention_diploma": "Специальный диплом жюри",
    },
    "en": {
        "thank_you_letter": "Letter of thanks",
        "participant_diploma": "Diploma of participation",
        "finalist_diploma": "Finalist's diploma",
        "winner_diploma": "Winner's diploma",
        "special_mention_diploma": "Jury's special diploma",
    },
}


def document_title(kind: str, language: str) -> str:
    """ "Диплом победителя" / "Winner's diploma"."""
    titles = DOCUMENT_TITLES.get(language, DOCUMENT_TITLES["ru"])
    return titles.get(kind) or kind.replace("_", " ").capitalize()


def document_list(kinds: Iterable[str], language: str) -> str:
    """The documents in a sentence: «благодарственное письмо, диплом участника и диплом победителя» /
    "a letter of thanks, a diploma of participation and a winner's diploma"."""
    names = [_in_sentence(document_title(kind, language), language) for kind in dict.fromkeys(kinds)]
    if len(names) <= 1:
        return "".join(names)
    joiner = " и " if language == "ru" else " and "
    return ", ".join(names[:-1]) + joiner + names[-1]


def _in_sentence(title: str, language: str) -> str:
    title = title[:1].lower() + title[1:]
    if language == "ru":
        return title
    return ("an " if title[:1] in "aeiou" else "a ") + title
