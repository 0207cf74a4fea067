"""Every built-in template, in both languages, rendered with sample data and its variants, reads as
written text: no doubled punctuation, quotes and brackets balanced, no placeholder left; the letter
that carries documents names exactly those attached; organisers are greeted as people."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from notifications.domain.kinds import LANGUAGES, NotificationKind
from notifications.templates import TemplateCatalogue
from notifications.templates.document_titles import document_title
from notifications.templates.samples import sample_context

CATALOGUE = TemplateCatalogue(timezone="Asia/Novokuznetsk")
DOUBLED = re.compile(r"\.\.(?!\.)|,\.|,,|;\.|\.;|!\.|\?\.|:\.|\s[,.;:!?]")  # «г., 10:00» is right
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\bNone\b|\bUndefined\b")
PAIRS = [("«", "»"), ("“", "”"), ("(", ")")]
ORGANISATION = "Некоммерческое библиотечное партнёрство «Кузбасские библиотеки»"


def _variants(kind: NotificationKind) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        sample = sample_context(kind)
    except KeyError:  # a kind whose templates are still being written: test_templates says so
        return
    yield "sample", sample
    if "entries" in sample and "entry" in sample:
        other = {**sample["entry"], "title": "Красная книга Чебулинского района", "id": "other"}
        yield "two entries", {**sample, "entries": [sample["entry"], other]}
    if kind is NotificationKind.CONTEST_FINISHED_PARTICIPANT:
        yield "one document", {**sample, "documents": ["thank_you_letter"]}
        yield "two documents", {**sample, "documents": ["thank_you_letter", "participant_diploma"]}
    if "recipient" in sample:
        organisation = {"name": ORGANISATION, "position": "", "library": ""}
        yield "an organisation", {**sample, "recipient": organisation}
    if "final_date" in sample:
        yield "no final yet", {**sample, "final_date": None, "final_place": None}
    if "prizes" in sample:
        yield "no prizes", {**sample, "prizes": [], "place": 2}
    if "submissions_close_at" in sample:
        earlier = sample["submissions_close_at"] - timedelta(days=20)
        yield (
            "no previous deadline, no reason",
            {**sample, "previous_submissions_close_at": None, "reason": ""},
        )
        yield (
            "moved earlier",
            {
                **sample,
                "previous_submissions_close_at": sample["submissions_close_at"],
                "submissions_close_at": earlier,
            },
        )
        unlinked = {**sample["entry"], "private_link": None}
        yield "no private link", {**sample, "entry": unlinked, "entries": [unlinked]}
    if "personal_link" in sample:
        yield "no personal link", {**sample, "personal_link": None}


CASES = [
    pytest.param(kind, language, name, context, id=f"{kind.value}-{language}-{name}")
    for kind in NotificationKind
    for language in LANGUAGES
    for name, context in _variants(kind)
]


def _problems(text: str) -> list[str]:
    problems = [
        f"doubled punctuation {m.group(0)!r} in …{text[max(0, m.start() - 30) : m.end() + 10]}…"
        for m in DOUBLED.finditer(text)
    ]
    problems += [f"placeholder left: {m.group(0)!r}" for m in PLACEHOLDER.finditer(text)]
    for opening, closing in PAIRS:
        depth = 0
        for ch in text:
            depth += (ch == opening) - (ch == closing)
            if depth < 0:
                break
        if depth != 0:
            problems.append(f"unbalanced {opening}{closing}")
    if text.count('"') % 2:
        problems.append('unbalanced "')
    return problems


@pytest.mark.parametrize(("kind", "language", "variant", "context"), CASES)
def test_every_template_reads_as_written_text(
    kind: NotificationKind, language: str, variant: str, context: dict[str, Any]
) -> None:
    message = CATALOGUE.render(kind, language, context)
    for part, text in (("subject", message.subject), ("text", message.text)):
        assert not _problems(text), (part, _problems(text), text)
    if message.html is not None:
        visible = html.unescape(re.sub(r"<[^>]+>", "", message.html))
        assert not _problems(visible), ("html", _problems(visible), visible)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "documents",
    [
        ["thank_you_letter"],
        ["thank_you_letter", "participant_diploma"],
        ["thank_you_letter", "participant_diploma", "finalist_diploma"],
        ["thank_you_letter", "participant_diploma", "winner_diploma"],
        ["thank_you_letter", "participant_diploma", "winner_diploma", "special_mention_diploma"],
    ],
)
def test_the_final_letter_names_exactly_the_documents_attached(language: str, documents: list[str]) -> None:
    context = {**sample_context(NotificationKind.CONTEST_FINISHED_PARTICIPANT), "documents": documents}
    message = CATALOGUE.render(NotificationKind.CONTEST_FINISHED_PARTICIPANT, language, context)
    for text in (message.text, html.unescape(re.sub(r"<[^>]+>", "", message.html or ""))):
        named = {kind for kind in _ALL_DOCUMENTS if document_title(kind, language).lower() in text.lower()}
        assert named == set(documents), text
    plural = "документы" if language == "ru" else "documents"
    assert (plural in message.text) == (len(documents) > 1)


_ALL_DOCUMENTS = [
    "thank_you_letter",
    "participant_diploma",
    "finalist_diploma",
    "winner_diploma",
    "special_mention_diploma",
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "kind", [NotificationKind.SUBMISSIONS_CLOSED, NotificationKind.CONTEST_FINISHED_ORGANISER]
)
def test_organisers_are_greeted_as_people_not_as_the_partnership(
    kind: NotificationKind, language: str
) -> None:
    organisation = {"name": ORGANISATION, "position": "", "library": ""}
    context = {**sample_context(kind), "recipient": organisation}
    first_line = CATALOGUE.render(kind, language, context).text.splitlines()[0]
    assert "партнёрство" not in first_line
    assert first_line in ("Уважаемые коллеги!", "Dear colleagues,")
    person = {"name": "Иванова Мария Петровна", "position": "", "library": ""}
    first_line = CATALOGUE.render(
        kind, "ru", {**sample_context(kind), "recipient": person}
    ).text.splitlines()[0]
    assert first_line == "Уважаемая Мария Петровна!"


@pytest.mark.parametrize(
    ("language", "extended", "earlier"),
    [
        (
            "ru",
            "Срок приёма заявок на конкурс продлён: заявки принимаются до 15 сентября 2025 г., 18:00 "
            "(прежний срок — 31 августа 2025 г., 18:00).",
            "Срок приёма заявок на конкурс изменён",
        ),
        (
            "en",
            "The deadline for entries to the contest has been extended: entries are accepted until "
            "15 September 2025, 18:00 (previously 31 August 2025, 18:00).",
            "has changed",
        ),
    ],
)
def test_a_moved_deadline_is_told_in_the_contests_time_and_says_whether_it_was_extended(
    language: str, extended: str, earlier: str
) -> None:
    sample = sample_context(NotificationKind.DEADLINE_CHANGED)
    message = CATALOGUE.render(NotificationKind.DEADLINE_CHANGED, language, sample)
    assert extended in message.text  # 11:00 UTC is 18:00 in Novokuznetsk
    assert sample["reason"] in message.text
    assert "15" in message.subject and "18:00" in message.subject
    moved_back = {
        **sample,
        "previous_submissions_close_at": sample["submissions_close_at"] + timedelta(days=5),
    }
    text = CATALOGUE.render(NotificationKind.DEADLINE_CHANGED, language, moved_back).text
    assert earlier in text and "продлён" not in text and "extended" not in text
