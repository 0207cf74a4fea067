"""The wording of documents, in Russian (the contest's language) and English: titles, reasons, the
letter's paragraphs, dates, quotation marks by each language's rules and hyphenation points."""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import pyphen

from kaleidoscope_shared.typography import quoted

from ..domain.kinds import DocumentKind
from ..domain.names import formal_salutation, russian_date
from .model import DocumentFields

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}

_SUBTITLES = {
    "ru": {
        DocumentKind.PARTICIPANT_DIPLOMA: "участника",
        DocumentKind.FINALIST_DIPLOMA: "финалиста",
        DocumentKind.WINNER_DIPLOMA: "победителя",
        DocumentKind.SPECIAL_MENTION_DIPLOMA: "специальный приз жюри",
    },
    "en": {
        DocumentKind.PARTICIPANT_DIPLOMA: "of participation",
        DocumentKind.FINALIST_DIPLOMA: "of a finalist",
        DocumentKind.WINNER_DIPLOMA: "of a winner",
        DocumentKind.SPECIAL_MENTION_DIPLOMA: "special mention of the jury",
    },
}
LABELS = {
    "ru": {
        "diploma": "ДИПЛОМ",
        "letter": "БЛАГОДАРСТВЕННОЕ ПИСЬМО",
        "awarded": "награждается",
        "organisers": "Организаторы",
        "code": "Код проверки подлинности",
        "check": "Проверить подлинность:",
        "seal": "М. П.",
        "signature": "подпись",
    },
    "en": {
        "diploma": "DIPLOMA",
        "letter": "LETTER OF THANKS",
        "awarded": "is awarded to",
        "organisers": "Organisers",
        "code": "Verification code",
        "check": "Check it at:",
        "seal": "Seal",
        "signature": "signature",
    },
}


@dataclass(frozen=True, slots=True)
class DiplomaText:
    """A diploma's lines, from the most to the least prominent."""

    title: str
    subtitle: str
    lead: str
    reason: str
    """Why it is awarded: the place and nomination, the final, taking part, the jury's words."""
    project: str
    """The project's title, quoted: set the same way on every kind of diploma."""
    nomination: str
    """The nomination line, or "" when the reason names it already."""


def place_text(place: int, language: str) -> str:
    if language == "ru":
        return f"{_ROMAN.get(place, str(place))} место"
    return f"{place}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(place, 'th') } place"


def diploma_text(f: DocumentFields) -> DiplomaText:
    ru = f.language == "ru"
    labels = LABELS[f.language]
    subtitle = _SUBTITLES[f.language][f.kind]
    project = quoted(f.project_title, f.language)
    nomination = quoted(f.nomination, f.language)
    title = labels["diploma"]
    in_nomination = f"номинация {nomination}" if ru else f"nomination {nomination}"
    if f.kind is DocumentKind.WINNER_DIPLOMA and f.place is not None:
        place = place_text(f.place, f.language)
        reason = (
            f"за {place} в номинации {nomination}" if ru else f"for {place} in the nomination {nomination}"
        )
        return DiplomaText(title, subtitle, labels["awarded"], reason, project, "")
    if f.kind is DocumentKind.SPECIAL_MENTION_DIPLOMA:
        words = f.mention.strip().rstrip(".")
        reason = words or ("за особые достоинства проекта" if ru else "for the project's particular merits")
        return DiplomaText(title, subtitle, labels["awarded"], reason, project, in_nomination)
    if f.kind is DocumentKind.FINALIST_DIPLOMA:
        reason = "за выход в финал конкурса с проектом" if ru else "for reaching the final with the project"
        return DiplomaText(title, subtitle, labels["awarded"], reason, project, in_nomination)
    reason = "за участие в конкурсе с проектом" if ru else "for taking part in the contest with the project"
    return DiplomaText(title, subtitle, labels["awarded"], reason, project, in_nomination)


def letter_paragraphs(f: DocumentFields) -> tuple[str, tuple[str, ...]]:
    """The salutation and the paragraphs of a thank-you letter."""
    greeting = formal_salutation(f.recipient_name, f.language) + ("!" if f.language == "ru" else ",")
    project, nomination = quoted(f.project_title, f.language), quoted(f.nomination, f.language)
    if f.language == "ru":
        return greeting, (
            "Организаторы конкурса выражают Вам искреннюю благодарность за участие в конкурсе "
            f"и представленную работу {project} в номинации {nomination}.",
            "Ваш профессионализм, творческий подход и стремление сделать библиотеку ближе к читателю "
            "вносят значимый вклад в развитие библиотечного дела.",
            "Желаем Вам дальнейших творческих успехов и профессиональных побед!",
        )
    return greeting, (
        "The organisers of the contest sincerely thank you for taking part with your work "
        f"{project} in the nomination {nomination}.",
        "Your professionalism and creativity in bringing the library closer to its readers make a "
        "valuable contribution to the profession.",
        "We wish you every success in your future work!",
    )


def decision_date(f: DocumentFields) -> str:
    """The day of the decision the document records, in the document's language."""
    d = f.issued_on
    if f.language == "ru":
        return russian_date(d.day, d.month, d.year)
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


def issue_line(f: DocumentFields) -> str:
    when = decision_date(f)
    return f"{f.city}, {when}" if f.city else when


_DICTIONARIES = {"ru": "ru_RU", "en": "en_GB"}
_WORD = re.compile(r"^(\W*)(\w[\w\u0301]*)(\W*)$")


@functools.cache
def _dictionary(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=_DICTIONARIES.get(language, "ru_RU"), left=2, right=3)


@functools.cache
def hyphenator(language: str) -> Callable[[str], tuple[tuple[str, str], ...]]:
    """The language's hyphenation of a word (`pdf_writer.Hyphenate`), from pyphen's dictionaries."""
    dictionary = _dictionary(language)

    @functools.lru_cache(maxsize=20_000)
    def points(word: str) -> tuple[tuple[str, str], ...]:
        """(head-, tail) pairs, the longest head first; none for a short word, a word with a hyphen
        or digits, or a name (capitalised words are left whole)."""
        match = _WORD.match(word)
        if match is None or len(match[2]) < 5 or not match[2].isalpha() or match[2][0].isupper():
            return ()
        before, core, after = match.groups()
        return tuple(
            (f"{before}{core[:at]}-", f"{core[at:]}{after}") for at in reversed(dictionary.positions(core))
        )

    return points
