"""The wording of documents, in Russian (the contest's language) and English."""

from __future__ import annotations

import calendar
from dataclasses import dataclass

from ..domain.kinds import DocumentKind
from ..domain.names import formal_salutation, russian_date
from .model import DocumentFields

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}

_SUBTITLES = {
    "ru": {
        DocumentKind.PARTICIPANT_DIPLOMA: "участника",
        DocumentKind.FINALIST_DIPLOMA: "финалиста",
        DocumentKind.WINNER_DIPLOMA: "победителя",
    },
    "en": {
        DocumentKind.PARTICIPANT_DIPLOMA: "of participation",
        DocumentKind.FINALIST_DIPLOMA: "of a finalist",
        DocumentKind.WINNER_DIPLOMA: "of a winner",
    },
}
LABELS = {
    "ru": {
        "diploma": "ДИПЛОМ",
        "letter": "БЛАГОДАРСТВЕННОЕ ПИСЬМО",
        "awarded": "награждается",
        "organisers": "Организаторы",
        "code": "Код проверки подлинности",
    },
    "en": {
        "diploma": "DIPLOMA",
        "letter": "LETTER OF THANKS",
        "awarded": "is awarded to",
        "organisers": "Organisers",
        "code": "Verification code",
    },
}


@dataclass(frozen=True, slots=True)
class DiplomaText:
    title: str
    subtitle: str
    lead: str
    reasons: tuple[str, ...]


def place_text(place: int, language: str) -> str:
    if language == "ru":
        return f"{_ROMAN.get(place, str(place))} место"
    return f"{place}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(place, 'th') } place"


def diploma_text(f: DocumentFields) -> DiplomaText:
    ru = f.language == "ru"
    labels = LABELS[f.language]
    subtitle = _SUBTITLES[f.language][f.kind]
    project = f"«{f.project_title}»" if ru else f"“{f.project_title}”"
    nomination = f"«{f.nomination}»" if ru else f"“{f.nomination}”"
    reasons: tuple[str, ...]
    if f.kind is DocumentKind.WINNER_DIPLOMA and f.place is not None:
        place = place_text(f.place, f.language)
        reasons = (
            (f"за {place} в номинации {nomination}", f"проект {project}")
            if ru
            else (f"for {place} in the nomination {nomination}", f"project {project}")
        )
    elif f.kind is DocumentKind.FINALIST_DIPLOMA:
        reasons = (
            ("за выход в финал конкурса с проектом", project, f"номинация {nomination}")
            if ru
            else ("for reaching the final with the project", project, f"nomination {nomination}")
        )
    else:
        reasons = (
            ("за участие в конкурсе с проектом", project, f"номинация {nomination}")
            if ru
            else ("for taking part in the contest with the project", project, f"nomination {nomination}")
        )
    return DiplomaText(labels["diploma"], subtitle, labels["awarded"], reasons)


def letter_paragraphs(f: DocumentFields) -> tuple[str, tuple[str, ...]]:
    """The salutation and the paragraphs of a thank-you letter."""
    greeting = formal_salutation(f.recipient_name, f.language) + ("!" if f.language == "ru" else ",")
    if f.language == "ru":
        return greeting, (
            "Организаторы конкурса выражают Вам искреннюю благодарность за участие в конкурсе "
            f"и представленную работу «{f.project_title}» в номинации «{f.nomination}».",
            "Ваш профессионализм, творческий подход и стремление сделать библиотеку ближе к читателю "
            "вносят значимый вклад в развитие библиотечного дела.",
            "Желаем Вам дальнейших творческих успехов и профессиональных побед!",
        )
    return greeting, (
        "The organisers of the contest sincerely thank you for taking part with your work "
        f"“{f.project_title}” in the nomination “{f.nomination}”.",
        "Your professionalism and creativity in bringing the library closer to its readers make a "
        "valuable contribution to the profession.",
        "We wish you every success in your future work!",
    )


def issue_line(f: DocumentFields) -> str:
    d = f.issued_on
    when = (
        russian_date(d.day, d.month, d.year)
        if f.language == "ru"
        else f"{d.day} {calendar.month_name[d.month]} {d.year}"
    )
    return f"{f.city}, {when}" if f.city else when
