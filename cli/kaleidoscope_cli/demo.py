"""The demo: the "Library Kaleidoscope" contest end to end through the three services, over HTTP only.

An organiser creates and publishes the contest, participants submit, submissions close, the jury
scores stage 1 from the scenario file, the top entries of each nomination advance, the finalists
defend in a public final, the jury names the winners, and notifications sends letters and diplomas.
Nothing here decides an outcome: finalists and winners are what judging computes from the marks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .demo_client import DemoError, Endpoints, ServiceClient, wait_for
from .demo_contest import DemoContest
from .demo_notifications import settled_deliveries
from .demo_stages import close_stage, open_stage, register_jury, run_final, score_review, stage_declaration
from .scenario import Scenario

Say = Callable[[str], None]


@dataclass
class DemoOutcome:
    """What the demo did, read back from the services."""

    contest_id: str
    entries: dict[str, dict[str, Any]]
    statistics: dict[str, Any] = field(default_factory=dict)
    review_results: list[dict[str, Any]] = field(default_factory=list)
    final_results: list[dict[str, Any]] = field(default_factory=list)
    finalists: list[dict[str, Any]] = field(default_factory=list)
    winners: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    data_dir: Path | None = None

    @property
    def documents_dir(self) -> Path | None:
        """Where notifications draws the letters and diplomas (PDF), when it runs on this machine."""
        return self.data_dir / "documents" if self.data_dir else None

    @property
    def messages_dir(self) -> Path | None:
        """Where the file channel writes each message, its attachments beside it."""
        return self.data_dir / "messages" if self.data_dir else None

    def titles(self) -> dict[str, str]:
        return {entry_id: entry["content"]["title"] for entry_id, entry in self.entries.items()}


def run_demo(
    endpoints: Endpoints,
    contest: DemoContest,
    say: Say,
    scenario: Scenario | None = None,
    data_dir: Path | None = None,
    timeout: float = 60.0,
) -> DemoOutcome:
    """Run the contest from creation to the letters; raises DemoError if a step fails or stalls.
    `data_dir` is the services' data folder when they run on this machine (for the summary)."""
    scenario = scenario or Scenario.load()
    client = ServiceClient(endpoints)
    try:
        outcome = submit_everything(client, contest, say, timeout)
        judge(client, scenario, contest, outcome, say, timeout)
        finish(client, outcome, say, timeout)
    finally:
        client.close()
    outcome.data_dir = data_dir
    return outcome


def submit_everything(client: ServiceClient, contest: DemoContest, say: Say, timeout: float) -> DemoOutcome:
    """Create and publish the contest, submit every entry, wait for judging to know them, close."""
    contest_id = client.submissions("POST", "/contests", json=contest.contest)["id"]
    client.submissions("POST", f"/contests/{contest_id}/publish")
    say(f"submissions: «{contest.contest['title']}» published ({contest_id})")
    outcome = DemoOutcome(contest_id, {})
    step = max(1, len(contest.entries) // 5)
    for n, body in enumerate(contest.entries, start=1):
        entry = client.submissions("POST", f"/contests/{contest_id}/entries", json=body)
        outcome.entries[entry["id"]] = entry
        if n == 1 and entry.get("private_link"):
            say(f"submissions: the first participant's private link: {entry['private_link']}")
        if n % step == 0 or n == len(contest.entries):
            say(f"submissions: {n}/{len(contest.entries)} entries submitted")
    wait_for(
        lambda: len(client.judging("GET", f"/contests/{contest_id}/entries")) == len(contest.entries),
        timeout,
        "judging to record every entry",
    )
    closure = client.submissions("POST", f"/contests/{contest_id}/close")
    say(f"submissions: closed with {closure['entry_count']} entries; judging has them all")
    return outcome


def judge(
    client: ServiceClient,
    scenario: Scenario,
    contest: DemoContest,
    outcome: DemoOutcome,
    say: Say,
    timeout: float,
) -> None:
    """Register the jury, run stage 1 and the final; finalists and winners into `outcome`."""
    cid, titles = outcome.contest_id, outcome.titles()
    jury = register_jury(client, cid, contest.jury)
    say(f"judging: jury of {len(jury)} registered")
    review = client.judging(
        "POST",
        f"/contests/{cid}/stages",
        json=stage_declaration(scenario, "review", len(jury), len(contest.entries)),
    )
    final = client.judging(
        "POST",
        f"/contests/{cid}/stages",
        json=stage_declaration(scenario, "final", len(jury), len(contest.entries)),
    )
    review = open_stage(client, cid, review["id"], timeout)
    say(f"judging: stage 1 «{review['name']}» open; the jury scores")
    sheets = score_review(client, scenario, review, jury, say)
    outcome.review_results = close_stage(client, scenario, review, jury[0], titles, say)
    outcome.finalists = ranked([r for r in outcome.review_results if r["advanced"]], contest)
    say(f"judging: stage 1 closed after {sheets} score sheets → {len(outcome.finalists)} finalists")
    set_awards(client, scenario, cid, final["id"])
    final = open_stage(client, cid, final["id"], timeout)
    order = [f["entry_id"] for f in outcome.finalists]
    final = client.judging(
        "PUT", f"/contests/{cid}/stages/{final['id']}/running-order", json={"entry_ids": order}
    )
    say(f"judging: final «{final['name']}» open; {len(order)} defences in running order")
    run_final(client, scenario, final, jury, titles, say)
    outcome.final_results = close_stage(client, scenario, final, jury[0], titles, say)
    outcome.winners = ranked([r for r in outcome.final_results if r["place"] is not None], contest)
    say(f"judging: final closed → {len(outcome.winners)} placed")


def ranked(results: list[dict[str, Any]], contest: DemoContest) -> list[dict[str, Any]]:
    """Results in the contest's nomination order, then by rank or place."""
    nominations = list(contest.nomination_titles)
    return sorted(
        results, key=lambda r: (nominations.index(r["nomination_code"]), r["place"] or r["rank"] or 0)
    )


def set_awards(client: ServiceClient, scenario: Scenario, contest_id: str, stage_id: str) -> None:
    """The final's prizes, from the scenario, for first place in every nomination."""
    prizes = scenario.stage("final")["prizes"]
    awards = {"places": [{"place": 1, "prizes": prizes}]}
    client.judging("PUT", f"/contests/{contest_id}/stages/{stage_id}/awards", json=awards)


def finish(client: ServiceClient, outcome: DemoOutcome, say: Say, timeout: float) -> None:
    """Wait until submissions shows the results and notifications has sent everything; read both."""
    cid = outcome.contest_id
    wait_for(lambda: _results_published(client, cid), timeout, "submissions to publish the results")
    say("submissions: results published; the contest is finished")
    outcome.statistics = client.submissions("GET", f"/contests/{cid}/statistics")
    outcome.deliveries = settled_deliveries(client, cid, timeout, say)
    outcome.documents = client.notifications("GET", "/documents", params={"contest_id": cid})
    say(f"notifications: {len(outcome.deliveries)} messages, {len(outcome.documents)} letters and diplomas")


def _results_published(client: ServiceClient, contest_id: str) -> bool:
    try:
        client.submissions("GET", f"/contests/{contest_id}/results")
    except DemoError:
        return False
    return True
