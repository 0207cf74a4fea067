"""`make demo`'s scenario as it runs: the seed contest through the three services as processes on
SQLite and a real Redis. Nine finalists, three winners, one letter and one diploma per participant,
a winner's diploma per winner, and no message sent twice."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kaleidoscope_cli.demo import DemoOutcome, run_demo
from kaleidoscope_cli.demo_client import Endpoints
from kaleidoscope_cli.demo_contest import DemoContest, seed_contest
from kaleidoscope_cli.demo_summary import summary
from kaleidoscope_cli.scenario import Scenario
from kaleidoscope_cli.stack import Stack
from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN

from .helpers import FAST_BUS

pytestmark = pytest.mark.slow
NOMINATIONS = {"service-guide", "information-collection", "idea-generator"}


@dataclass
class DemoRun:
    contest: DemoContest
    outcome: DemoOutcome
    progress: list[str]


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
        outcome = run_demo(endpoints, contest, progress.append, documents_dir=stack.documents_dir)
    finally:
        stack.stop()
    yield DemoRun(contest, outcome, progress)


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
    assert "34 entries from 10 city districts and 9 municipal districts" in text
    for winner in demo_run.outcome.winners:
        entry = demo_run.outcome.entries[winner["entry_id"]]
        assert f"{entry['content']['authors'][0]['full_name']}, " in text
        assert f"«{entry['content']['title']}»" in text
    assert any(line.startswith("judging: stage 1 closed") for line in demo_run.progress)
    assert str(demo_run.outcome.documents_dir) in text


def test_no_message_is_sent_twice_and_none_failed(demo_run: DemoRun) -> None:
    deliveries = demo_run.outcome.deliveries
    assert deliveries
    keys = Counter((d["event_id"], d["recipient"], d["channel"]) for d in deliveries)
    assert [key for key, n in keys.items() if n > 1] == []
    assert Counter(d["status"] for d in deliveries) == {"sent": len(deliveries)}


def participants(outcome: DemoOutcome) -> set[str]:
    return {
        author["full_name"] for entry in outcome.entries.values() for author in entry["content"]["authors"]
    }


def documents(outcome: DemoOutcome) -> list[Path]:
    assert outcome.documents_dir is not None
    return sorted(path for path in outcome.documents_dir.rglob("*") if path.is_file())
