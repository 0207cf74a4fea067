"""The demo: the "Library Kaleidoscope" contest end to end through the three services, over HTTP only.

An organiser creates and publishes the contest, participants submit, submissions close, the jury
scores stage 1 from the scenario file, the top entries of each nomination advance, the finalists
defend in a public final, the jury names the winners, and notifications sends letters and diplomas.
Nothing here decides an outcome: finalists and winners are what judging computes from the marks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .demo_client import DemoError, Endpoints, ServiceClient, wait_for
from .demo_contest import DemoContest
from .demo_notifications import settled_deliveries
from .demo_stages import (
    close_stage,
    open_stage,
    register_jury,
    run_final,
    score_review,
    special_mentions,
    stage_declaration,
)
from .scenario import Scenario
from .words import Language, fit, quoted, say_within
from .words import say as words

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
    language: Language = "ru",
) -> DemoOutcome:
    """Run the contest from creation to the letters; raises DemoError if a step fails or stalls.
    `data_dir` is the services' data folder when they run on this machine (for the summary); what it
    does is told to `say` line by line, in `language`."""
    scenario = scenario or Scenario.load()
    client = ServiceClient(endpoints)
    try:
        outcome = submit_everything(client, contest, say, timeout, language)
        judge(client, scenario, contest, outcome, say, timeout, language)
        finish(client, outcome, say, timeout, language)
    finally:
        client.close()
    outcome.data_dir = data_dir
    return outcome


def submit_everything(
    client: ServiceClient, contest: DemoContest, say: Say, timeout: float, language: Language = "ru"
) -> DemoOutcome:
    """Create and publish the contest, submit every entry, wait for judging to know them, close."""
    contest_id = client.submissions("POST", "/contests", json=contest.contest)["id"]
    client.submissions("POST", f"/contests/{contest_id}/publish")
    title = quoted(language, contest.contest["title"])
    say(say_within(language, "published", "title", title=title, id=contest_id))
    outcome = DemoOutcome(contest_id, {})
    step = max(1, len(contest.entries) // 5)
    for n, body in enumerate(contest.entries, start=1):
        entry = client.submissions("POST", f"/contests/{contest_id}/entries", json=body)
        outcome.entries[entry["id"]] = entry
        if n == 1 and entry.get("private_link"):
            for line in fit(words(language, "first_private_link", url=entry["private_link"])):
                say(line)
        if n % step == 0 or n == len(contest.entries):
            say(words(language, "submitted", n=n, total=len(contest.entries)))
    wait_for(
        lambda: len(client.judging("GET", f"/contests/{contest_id}/entries")) == len(contest.entries),
        timeout,
        "wait_entries_judged",
    )
    closure = client.submissions("POST", f"/contests/{contest_id}/close")
    say(words(language, "closed", n=int(closure["entry_count"])))
    return outcome


def judge(
    client: ServiceClient,
    scenario: Scenario,
    contest: DemoContest,
    outcome: DemoOutcome,
    say: Say,
    timeout: float,
    language: Language = "ru",
) -> None:
    """Register the jury, run stage 1 and the final; finalists and winners into `outcome`."""
    cid, titles = outcome.contest_id, outcome.titles()
    jury = register_jury(client, cid, contest.jury)
    say(words(language, "jury_registered", n=len(jury)))
    review = client.judging(
        "POST",
        f"/contests/{cid}/stages",
        json=stage_declaration(scenario, "review", len(jury), len(contest.entries)),
    )
    closes_at = datetime.fromisoformat(contest.contest["window"]["closes_at"])
    final = client.judging(
        "POST",
        f"/contests/{cid}/stages",
        json=stage_declaration(scenario, "final", len(jury), len(contest.entries), closes_at),
    )
    review = open_stage(client, cid, review["id"], timeout)
    say(say_within(language, "review_open", "name", name=quoted(language, review["name"])))
    sheets = score_review(client, scenario, review, jury, say, language)
    outcome.review_results = close_stage(client, scenario, review, jury[0], titles, say, language)
    outcome.finalists = ranked([r for r in outcome.review_results if r["advanced"]], contest)
    say(words(language, "review_closed", sheets=sheets, n=len(outcome.finalists)))
    mentions = special_mentions(scenario, outcome.finalists, titles)
    set_awards(client, scenario, cid, final["id"], mentions)
    for mention in mentions:
        title = quoted(language, titles[mention["entry_id"]])
        say(say_within(language, "special_mention", "title", title=title))
    final = open_stage(client, cid, final["id"], timeout)
    order = [f["entry_id"] for f in outcome.finalists]
    final = client.judging(
        "PUT", f"/contests/{cid}/stages/{final['id']}/running-order", json={"entry_ids": order}
    )
    say(say_within(language, "final_open", "name", name=quoted(language, final["name"]), n=len(order)))
    run_final(client, scenario, final, jury, titles, say, language)
    outcome.final_results = close_stage(client, scenario, final, jury[0], titles, say, language)
    outcome.winners = ranked([r for r in outcome.final_results if r["place"] is not None], contest)
    say(words(language, "final_closed", n=len(outcome.winners)))


def ranked(results: list[dict[str, Any]], contest: DemoContest) -> list[dict[str, Any]]:
    """Results in the contest's nomination order, then by rank or place."""
    nominations = list(contest.nomination_titles)
    return sorted(
        results, key=lambda r: (nominations.index(r["nomination_code"]), r["place"] or r["rank"] or 0)
    )


def set_awards(
    client: ServiceClient,
    scenario: Scenario,
    contest_id: str,
    stage_id: str,
    mentions: list[dict[str, str]] | None = None,
) -> None:
    """The final's prizes, from the scenario, for first place in every nomination; and the jury's
    special mentions (judging's `special_mentions`: entry id and the jury's words)."""
    prizes = scenario.stage("final")["prizes"]
    awards = {"places": [{"place": 1, "prizes": prizes}], "special_mentions": mentions or []}
    client.judging("PUT", f"/contests/{contest_id}/stages/{stage_id}/awards", json=awards)


def finish(
    client: ServiceClient, outcome: DemoOutcome, say: Say, timeout: float, language: Language = "ru"
) -> None:
    """Wait until submissions shows the results and notifications has sent everything; read both."""
    cid = outcome.contest_id
    wait_for(lambda: _results_published(client, cid), timeout, "wait_results")
    say(words(language, "results_published"))
    outcome.statistics = client.submissions("GET", f"/contests/{cid}/statistics")
    outcome.deliveries = settled_deliveries(client, cid, timeout, say, language)
    outcome.documents = client.notifications("GET", "/documents", params={"contest_id": cid})
    say(words(language, "notified", n=len(outcome.deliveries), docs=len(outcome.documents)))


def _results_published(client: ServiceClient, contest_id: str) -> bool:
    try:
        client.submissions("GET", f"/contests/{contest_id}/results")
    except DemoError:
        return False
    return True
