"""The demo's summary reads in a terminal and in one language: every line at most 100 characters; in
English no Cyrillic at all (the contest's names transliterated), in Russian no English word but the
names of things (Kaleidoscope, a command, a URL, a path).

The outcome is the seed contest's own (its 34 entries, their longest titles and library names), with
the shape the services' APIs answer; the whole demo printing it is tests/e2e/test_launcher.py's."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kaleidoscope_cli.demo import DemoOutcome
from kaleidoscope_cli.demo_contest import DemoContest, generated_contest, seed_contest
from kaleidoscope_cli.demo_summary import WIDTH, fit, summary, transliterate, web_pages
from kaleidoscope_cli.scenario import Scenario

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# What a Russian line may hold in Latin letters: addresses, paths, a command between backquotes, a
# project's own title («… QR-маршруты …»), and the names of things.
NAMES_OF_THINGS = re.compile(r"https?://\S+|/\S+|`[^`]*`|«[^»]*»|\bKaleidoscope\b|\bCtrl-C\b")


def english_words(line: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", NAMES_OF_THINGS.sub("", line))


def outcome_of(contest: DemoContest, folder: Path) -> DemoOutcome:
    """What the demo reads back from the services for `contest`, finalists and winners taken in order."""
    entries = {
        f"e{n}": {
            "id": f"e{n}",
            "content": body,
            "private_link": f"http://127.0.0.1:8000/entries/e{n}?token=t",
        }
        for n, body in enumerate(contest.entries)
    }
    by_nomination = Counter(body["nomination_code"] for body in contest.entries)
    by_territory = Counter(a["territory_code"] for body in contest.entries for a in body["authors"])
    finalists, winners = [], []
    for code in contest.nomination_titles:
        ids = [entry_id for entry_id, e in entries.items() if e["content"]["nomination_code"] == code][:3]
        finalists += [
            {"entry_id": i, "nomination_code": code, "aggregate": 9.5 - n} for n, i in enumerate(ids)
        ]
        winners.append({"entry_id": ids[0], "nomination_code": code, "place": 1})
    kinds = ["entry_received"] * 37 + ["juror_assigned"] * 7 + ["final_invitation"] * 9
    kinds += ["non_finalist_thanks"] * 25 + ["winner_congratulations"] * 3
    kinds += ["contest_finished_participant"] * 37 + ["contest_finished_organiser"]
    deliveries = [
        {"channel": "file", "status": "sent" if n % 40 else "dead", "kind": kind, "event_type": "X"}
        for n, kind in enumerate(kinds)
    ]
    documents = [{"kind": kind} for kind in ("thank_you_letter", "participant_diploma") for _ in range(37)]
    documents += [{"kind": "finalist_diploma"}] * 9 + [{"kind": "winner_diploma"}] * 3
    (folder / "documents").mkdir(parents=True)
    (folder / "documents" / "a.pdf").write_bytes(b"%PDF")
    (folder / "messages").mkdir()
    return DemoOutcome(
        "c1",
        entries,
        statistics={
            "summary_ru": "34 работы из 10 городских округов и 9 муниципальных районов",
            "summary_en": "34 entries from 10 city districts and 9 municipal districts",
            "entries_by_nomination": dict(by_nomination),
            "entries_by_territory": dict(by_territory),
        },
        finalists=finalists,
        winners=winners,
        deliveries=deliveries,
        documents=documents,
        data_dir=folder,
    )


@pytest.fixture(params=["seed", "generated"])
def contest(request: pytest.FixtureRequest) -> DemoContest:
    now = datetime.now(UTC)
    if request.param == "seed":
        return seed_contest(now, Scenario.load())
    return generated_contest(now, Scenario.load(), 60, 9)


def test_the_russian_summary_fits_a_terminal_and_says_nothing_in_english(
    contest: DemoContest, tmp_path: Path
) -> None:
    outcome = outcome_of(contest, tmp_path / "demo")
    lines = summary(outcome, contest) + web_pages("http://127.0.0.1:8000/", outcome)
    assert [line for line in lines if len(line) > WIDTH] == []
    assert {line: english_words(line) for line in lines if english_words(line)} == {}
    text = "\n".join(lines)
    assert "Итоги конкурса «Библиотечный калейдоскоп»" in text
    assert "34 работы из 10 городских округов и 9 муниципальных районов" in text
    for winner in outcome.winners:
        content = outcome.entries[winner["entry_id"]]["content"]
        assert f"«{content['title']}»" in text and f"{content['authors'][0]['full_name']}, " in text
    assert "файлы: не доставлено: 3, отправлено: 116" in text and "дипломы финалиста: 9" in text
    assert str(tmp_path / "demo" / "documents") in text


def test_the_english_summary_fits_a_terminal_and_holds_no_cyrillic(
    contest: DemoContest, tmp_path: Path
) -> None:
    outcome = outcome_of(contest, tmp_path / "demo")
    lines = summary(outcome, contest, "en") + web_pages("http://127.0.0.1:8000/", outcome, "en")
    assert [line for line in lines if len(line) > WIDTH] == []
    assert [line for line in lines if CYRILLIC.search(line)] == []
    text = "\n".join(lines)
    assert 'Summary of "Bibliotechnyi kaleidoskop"' in text
    assert "34 entries from 10 city districts and 9 municipal districts" in text
    assert "Service guide" in text and "Kemerovo" in text and "Chebulinsky district" in text
    assert "file: dead: 3, sent: 116" in text and "winner's diplomas: 3" in text


def test_names_are_transliterated_as_russian_passports_spell_them() -> None:
    assert transliterate("Заводискер Оксана Юрьевна") == "Zavodisker Oksana Iurevna"
    assert transliterate("«Щёкино» и Объём, ЦБС") == '"Shchekino" i Obieem, TsBS'


def test_a_long_line_is_wrapped_at_spaces_under_its_own_indent_and_a_long_address_kept_whole() -> None:
    line = "  by territory: " + ", ".join(f"Territory{n} {n}" for n in range(30))
    wrapped = fit(line)
    assert len(wrapped) > 1 and all(len(part) <= WIDTH for part in wrapped)
    assert all(part.startswith("    ") for part in wrapped[1:])
    assert " ".join(part.strip() for part in wrapped) == line.strip()
    url = "http://127.0.0.1:8000/" + "x" * 120
    assert fit(f"  {url}") == [f"  {url}"]


def test_a_private_link_longer_than_a_line_is_printed_alone_under_its_label(tmp_path: Path) -> None:
    contest = seed_contest(datetime.now(UTC), Scenario.load())
    outcome = outcome_of(contest, tmp_path / "demo")
    link = "http://127.0.0.1:27221/entries/5d4a70e1-6b5f-42f7-bd3d-e510e937033f?token=" + "t" * 43
    for entry in outcome.entries.values():
        entry["private_link"] = link
    lines = web_pages("http://127.0.0.1:27221/", outcome)
    assert lines[-2:] == ["  личная ссылка участника:", f"    {link}"]
