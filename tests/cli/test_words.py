"""The CLI's words (kaleidoscope_cli/words.py): every text in Russian and English with the same fields,
nouns that agree with their numbers (1 заявка, 2 заявки, 5 заявок), long titles shortened with "…";
the demo's errors and `kaleidoscope status` told in either language, every line at most 100 characters,
the Russian ones with no English word but the names of things."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta

import pytest

from kaleidoscope_cli.demo_against import Checks
from kaleidoscope_cli.demo_client import DemoError, wait_for
from kaleidoscope_cli.status import GroupBacklog, OutboxBacklog, ProcessHealth, StatusReport
from kaleidoscope_cli.words import (
    CHANNELS,
    DOCUMENT_NAMES,
    KINDS,
    LANGUAGES,
    OTHER,
    PLURAL_FORMS,
    STATUSES,
    WIDTH,
    WORDS,
    decimal,
    phrase,
    plural,
    say,
    say_within,
)

from .terminal import english_words

CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def fields(text: str) -> dict[str, str]:
    """Each field of a text and its format spec (a plural's forms)."""
    return {name: spec for _, name, spec, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(WORDS))
def test_every_text_is_in_both_languages_with_the_same_fields_and_its_plurals_forms(key: str) -> None:
    texts = WORDS[key]
    assert set(texts) == set(LANGUAGES) and all(texts[language].strip() for language in LANGUAGES)
    assert set(fields(texts["ru"])) == set(fields(texts["en"])), key
    for language in LANGUAGES:
        for spec in fields(texts[language]).values():
            if "|" in spec:
                assert len(spec.split("|")) == PLURAL_FORMS[language], (key, language, spec)
    assert english_words(re.sub(r"\{[^}]*\}", "", texts["ru"])) == [], texts["ru"]
    assert not CYRILLIC.search(texts["en"]), texts["en"]


def test_every_name_of_a_code_is_in_both_languages() -> None:
    for table in (DOCUMENT_NAMES, CHANNELS, STATUSES, KINDS, {"other": OTHER}):
        for code, names in table.items():
            assert set(names) == set(LANGUAGES) and all(names.values()), code
            assert english_words(names["ru"]) == [] and not CYRILLIC.search(names["en"]), code


@pytest.mark.parametrize(
    ("n", "form"),
    [
        *[(0, "заявок"), (1, "заявка"), (2, "заявки"), (4, "заявки"), (5, "заявок"), (11, "заявок")],
        *[(12, "заявок"), (14, "заявок"), (21, "заявка"), (22, "заявки"), (25, "заявок"), (101, "заявка")],
        *[(111, "заявок"), (112, "заявок"), (1004, "заявки")],
    ],
)
def test_a_russian_noun_takes_the_form_its_number_asks(n: int, form: str) -> None:
    assert plural("ru", n, ("заявка", "заявки", "заявок")) == form


def test_an_english_noun_is_singular_for_one_only() -> None:
    assert [plural("en", n, ("entry", "entries")) for n in (0, 1, 2, 21)] == [
        "entries",
        "entry",
        "entries",
        "entries",
    ]


def test_a_text_agrees_with_its_numbers_in_either_language() -> None:
    assert say("ru", "closed", n=1) == "заявки: приём закрыт, 1 заявка; все они у судейства"
    assert say("ru", "closed", n=34) == "заявки: приём закрыт, 34 заявки; все они у судейства"
    assert say("ru", "review_closed", sheets=238, n=9).endswith("238 оценочных листов → 9 финалистов")
    assert say("ru", "jury_registered", n=21).endswith("жюри из 21 человека")
    assert say("en", "closed", n=1) == "submissions: closed with 1 entry; judging has them all"
    assert say("en", "review_closed", sheets=1, n=2).endswith("after 1 score sheet → 2 finalists")
    assert decimal("ru", 8.456) == "8,46" and decimal("en", 8.456) == "8.46"


def test_a_long_title_is_shortened_inside_its_quotes_until_the_line_fits() -> None:
    title = "«" + "Библиотека на колёсах: выездное обслуживание пожилых читателей " * 3 + "»"
    line = say_within("ru", "defended", "title", title=title, n=5, mean="8,45")
    assert len(line) <= WIDTH and "…» — защита: 5 членов жюри, средний балл 8,45" in line
    assert line.startswith("  «Библиотека на колёсах")
    short = say_within("ru", "defended", "title", title="«Сказки»", n=1, mean="9,00")
    assert short == "  «Сказки» — защита: 1 член жюри, средний балл 9,00"


def test_the_demo_stops_with_its_reason_in_the_chosen_language() -> None:
    with pytest.raises(DemoError) as stalled:
        wait_for(lambda: None, 0.0, "wait_entries_judged", interval=0.0)
    assert str(stalled.value) == "timed out after 0s waiting for judging to record every entry"
    assert stalled.value.told("ru") == "не дождались за 0 с: судейство запишет все заявки"
    refused = DemoError.said(phrase("answered", request="POST http://x/contests", status=422, body="{}"))
    assert refused.told("ru") == "POST http://x/contests ответил 422: {}"
    assert DemoError("plain").told("ru") == "plain"


def test_the_checks_against_a_deployment_are_told_in_the_chosen_language() -> None:
    checks = Checks()
    checks.check("check_finalists", True)
    checks.check("check_verify_link", False)
    checks.notes.append(phrase("diploma_link", url=phrase("no_link")))
    assert checks.lines("ru") == [
        "да   по 3 финалиста в каждой из 3 номинаций",
        "НЕТ  в PDF диплома есть ссылка для проверки, и она открывается через шлюз",
        "     ссылка из диплома: (не найдена)",
    ]
    assert checks.lines("en")[1].startswith("FAIL a diploma's PDF prints")
    assert checks.failed == ["check_verify_link"]


NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def report() -> StatusReport:
    state = {
        "web_url": "http://127.0.0.1:8000/",
        "started_at": (NOW - timedelta(hours=1, minutes=2, seconds=5)).isoformat(),
        "redis_url": "redis://127.0.0.1:8007/0",
        "namespace": "kaleidoscope",
        "logs": "/srv/kaleidoscope/data/logs",
    }
    return StatusReport(
        state,
        processes=[
            ProcessHealth("launcher", 10, "kaleidoscope up"),
            ProcessHealth(
                "judging-api",
                11,
                "http://127.0.0.1:8002/ready",
                phrase("does_not_answer", error="ReadTimeout"),
            ),
            ProcessHealth("judging-worker", 12, "http://127.0.0.1:8005/metrics", phrase("not_running")),
            ProcessHealth("web", 13, "http://127.0.0.1:8000/health"),
        ],
        groups=[
            GroupBacklog("judging", 5, 0, False, 0, 0),
            GroupBacklog("notifications", 6, 10000, True, 3, 2),
        ],
        outboxes=[
            OutboxBacklog("submissions", 0),
            OutboxBacklog("judging", 2, NOW - timedelta(seconds=75)),
            OutboxBacklog("notifications", problem="OperationalError: unable to open database file"),
        ],
    )


IDENTIFIERS = {
    "launcher", "judging-api", "judging-worker", "web", "judging", "notifications", "submissions",
    "redis", "kaleidoscope up", "kaleidoscope", "ReadTimeout", "OperationalError: unable to open database file",
}  # fmt: skip


def test_status_in_russian_says_nothing_in_english_but_names_and_fits_a_terminal() -> None:
    lines = report().lines(NOW)
    assert [line for line in lines if len(line) > WIDTH] == []
    assert {
        line: english_words(line, IDENTIFIERS) for line in lines if english_words(line, IDENTIFIERS)
    } == {}
    text = "\n".join(lines)
    assert lines[0] == "Kaleidoscope http://127.0.0.1:8000/  работает 1 ч 2 мин"
    assert re.search(r"^launcher\s+10\s+работает\s+kaleidoscope up$", text, re.M)
    assert re.search(r"^judging-api\s+11\s+СБОЙ\s+не отвечает \(ReadTimeout\): http://127", text, re.M)
    assert re.search(r"^judging-worker\s+12\s+СБОЙ\s+не запущен: ", text, re.M)
    assert re.search(r"^notifications\s+6\s+10000\+\s+3\s+2$", text, re.M)
    assert re.search(r"^judging\s+2\s+1 мин 15 с назад$", text, re.M)
    assert lines[-1] == "НЕИСПРАВНО: judging-api, judging-worker, база данных notifications"


def test_status_in_english() -> None:
    lines = report().lines(NOW, language="en")
    assert [line for line in lines if len(line) > WIDTH or CYRILLIC.search(line)] == []
    text = "\n".join(lines)
    assert lines[0] == "Kaleidoscope http://127.0.0.1:8000/  up 1h 2m"
    assert re.search(r"^judging-api\s+11\s+DOWN\s+does not answer \(ReadTimeout\)", text, re.M)
    assert re.search(r"^judging\s+2\s+1m 15s ago$", text, re.M)
    assert lines[-1] == "UNHEALTHY: judging-api, judging-worker, notifications database"
