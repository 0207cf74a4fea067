"""`make demo`'s scenario as it runs: the seed contest through the three services as processes on
SQLite and a real Redis, the web front beside them. Nine finalists, three winners, one letter and one
diploma per participant, a winner's diploma per winner, no message sent twice, and the participants'
private links on the web front, which answers."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from kaleidoscope_cli.demo import DemoOutcome, run_demo
from kaleidoscope_cli.demo_client import DemoError, Endpoints
from kaleidoscope_cli.demo_contest import DemoContest, seed_contest
from kaleidoscope_cli.demo_summary import summary
from kaleidoscope_cli.scenario import Scenario
from kaleidoscope_cli.stack import Stack
from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN

from ..cli.terminal import english_words, too_long
from .helpers import FAST_BUS

pytestmark = pytest.mark.slow
NOMINATIONS = {"service-guide", "information-collection", "idea-generator"}


@dataclass
class DemoRun:
    contest: DemoContest
    outcome: DemoOutcome
    progress: list[str]
    web_url: str
    web_health: int


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[DemoRun]:
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    stack = Stack(
        data_dir, redis_url, namespace=f"demo-{uuid.uuid4().hex[:8]}", log_to_files=True, extra_env=FAST_BUS
    ).start()
    contest, progress = seed_contest(datetime.now(UTC), Scenario.load()), []
    try:
        endpoints = Endpoints(
            stack.url("submissions"),
            stack.url("judging"),
            stack.url("notifications"),
            DEVELOPMENT_ORGANISER_TOKEN,
        )
        try:
            outcome = run_demo(endpoints, contest, progress.append, data_dir=stack.data_dir)
        except DemoError as error:
            raise DemoError(f"{error}{stack.exited_report()}") from error
        web_health = httpx.get(f"{stack.web_url}health").status_code
    finally:
        stack.stop()
    yield DemoRun(contest, outcome, progress, stack.web_url, web_health)


def by_nomination(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        grouped.setdefault(result["nomination_code"], []).append(result)
    return grouped


def test_nine_finalists_are_the_top_three_of_each_nomination_by_stage_one_score(demo_run: DemoRun) -> None:
    outcome = demo_run.outcome
    assert len(outcome.review_results) == 34
    finalists = by_nomination(outcome.finalists)
    assert {code: len(rows) for code, rows in finalists.items()} == dict.fromkeys(NOMINATIONS, 3)
    for code, rows in by_nomination(outcome.review_results).items():
        best = sorted(rows, key=lambda r: -r["aggregate"])[:3]
        assert {r["entry_id"] for r in best} == {r["entry_id"] for r in finalists[code]}


def test_three_winners_one_per_nomination_each_the_best_finalist_of_the_final(demo_run: DemoRun) -> None:
    outcome = demo_run.outcome
    winners = by_nomination(outcome.winners)
    assert {code: [r["place"] for r in rows] for code, rows in winners.items()} == {
        key: [1] for key in NOMINATIONS
    }
    finalist_ids = {r["entry_id"] for r in outcome.finalists}
    assert {r["entry_id"] for r in outcome.final_results} == finalist_ids
    for code, rows in by_nomination(outcome.final_results).items():
        assert winners[code][0]["entry_id"] == max(rows, key=lambda r: r["aggregate"])["entry_id"]


def test_the_summary_names_the_statistics_the_winners_and_the_channels(demo_run: DemoRun) -> None:
    text = "\n".join(summary(demo_run.outcome, demo_run.contest))
    assert "34 работы из 10 городских округов и 9 муниципальных районов" in text  # Russian by default
    for winner in demo_run.outcome.winners:
        entry = demo_run.outcome.entries[winner["entry_id"]]
        assert f"{entry['content']['authors'][0]['full_name']}, " in text
        assert f"«{entry['content']['title']}»" in text
    assert any(line.startswith("судейство: этап 1 закрыт") for line in demo_run.progress)
    assert str(demo_run.outcome.documents_dir) in text


def test_the_progress_is_told_in_russian_in_lines_that_fit_a_terminal(demo_run: DemoRun) -> None:
    progress = demo_run.progress
    assert too_long(progress) == []
    assert {line: english_words(line) for line in progress if english_words(line)} == {}
    assert progress[0].startswith("заявки: конкурс «Библиотечный калейдоскоп» опубликован (")
    assert "заявки: приём закрыт, 34 заявки; все они у судейства" in progress
    assert "судейство: зарегистрировано жюри из 7 человек" in progress
    assert any(line.endswith("→ 9 финалистов") for line in progress)
    assert "судейство: финал закрыт → 3 призовых места" in progress


def test_no_message_is_sent_twice_and_each_was_written_once(demo_run: DemoRun) -> None:
    outcome = demo_run.outcome
    deliveries = outcome.deliveries
    keys = Counter((d["event_id"], d["recipient"], d["channel"]) for d in deliveries)
    assert deliveries and [key for key, n in keys.items() if n > 1] == []
    assert {(d["status"], d["attempts"]) for d in deliveries} == {("sent", 1)}
    assert outcome.messages_dir is not None
    written = sorted(path.stem for path in outcome.messages_dir.glob("*.eml"))
    assert written == sorted(d["id"] for d in deliveries)
    finished = [d for d in deliveries if d["kind"] == "contest_finished_participant"]
    assert sorted(d["recipient"] for d in finished) == sorted({email for _, email in participants(outcome)})


def participants(outcome: DemoOutcome) -> set[tuple[str, str]]:
    """(entry, author's e-mail) for every author of every entry: who is owed a letter and a diploma."""
    return {
        (entry_id, author["email"].lower())
        for entry_id, entry in outcome.entries.items()
        for author in entry["content"]["authors"]
    }


def issued(outcome: DemoOutcome, kind: str) -> Counter[tuple[str, str]]:
    return Counter((d["entry_id"], d["person_key"]) for d in outcome.documents if d["kind"] == kind)


def test_every_participant_gets_one_thank_you_letter_and_one_diploma(demo_run: DemoRun) -> None:
    owed = participants(demo_run.outcome)
    assert len(owed) == 37
    assert issued(demo_run.outcome, "thank_you_letter") == Counter(owed)
    assert issued(demo_run.outcome, "participant_diploma") == Counter(owed)


def test_each_winner_gets_one_winners_diploma_and_no_one_else_does(demo_run: DemoRun) -> None:
    outcome = demo_run.outcome
    winner_ids = {r["entry_id"] for r in outcome.winners}
    owed = {(entry_id, email) for entry_id, email in participants(outcome) if entry_id in winner_ids}
    assert len(winner_ids) == 3 and issued(outcome, "winner_diploma") == Counter(owed)


def test_every_document_is_drawn_once_as_a_pdf_and_attached_to_its_recipients_message(
    demo_run: DemoRun,
) -> None:
    outcome = demo_run.outcome
    assert outcome.documents_dir is not None and outcome.messages_dir is not None
    pdfs = {path.stem: path for path in outcome.documents_dir.glob("*.pdf")}
    assert sorted(pdfs) == sorted(d["document_id"] for d in outcome.documents)
    assert all(path.read_bytes().startswith(b"%PDF") for path in pdfs.values())
    attached = Counter(doc for d in outcome.deliveries for doc in d["document_ids"])
    assert attached == Counter(d["document_id"] for d in outcome.documents)
    for delivery in outcome.deliveries:
        beside = list(outcome.messages_dir.glob(f"{delivery['id']}.*.pdf"))
        assert len(beside) == len(delivery["document_ids"])


def test_the_web_front_answers_and_the_private_links_point_at_it(demo_run: DemoRun) -> None:
    assert demo_run.web_health == 200
    # "заявки: личная ссылка первого участника: <link>", the link on a line of its own when too long
    told = "\n".join(demo_run.progress)
    printed = re.findall(r"личная ссылка первого участника:\s+(\S+)", told)
    assert len(printed) == 1, told
    links = printed + [entry["private_link"] for entry in demo_run.outcome.entries.values()]
    for link in links:
        assert link.startswith(f"{demo_run.web_url}entries/") and "?token=" in link, link
