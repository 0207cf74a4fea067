"""The jury's part of the demo: declare the stages, score from the scenario, close, run the final."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from .demo_client import DemoError, ServiceClient, wait_for
from .scenario import Scenario
from .words import Language, decimal, name_in, phrase, quoted, say, say_within

Say = Callable[[str], None]
# The final is held this long after the submission window closes, at the scenario's time of day.
FINAL_AFTER_CLOSING = timedelta(weeks=4)
# A review jury bigger than this shares the entries out: each entry gets this many jurors.
EVERY_JUROR_UP_TO = 9
JURORS_PER_ENTRY = 5


def stage_declaration(
    scenario: Scenario,
    kind: str,
    jury_size: int,
    entry_count: int,
    submissions_close_at: datetime | None = None,
) -> dict[str, Any]:
    """The scenario's stage as judging's DeclareStage: criteria, advancement rule, tie-breaks, assignment.

    A big jury shares the review out: JURORS_PER_ENTRY jurors per entry, none with more than half as
    much again as an even share (room for the conflicts of interest judging steers around)."""
    stage = scenario.stage(kind)
    criteria = [
        {"name": c["name"], "weight": c["weight"], "scale_min": c["min"], "scale_max": c["max"]}
        for c in stage["criteria"]
    ]
    if kind == "review":
        advancement = {"rule": "top_per_nomination", "n": stage["advance_per_nomination"]}
    else:
        advancement = {"rule": "places_per_nomination", "k": stage["places_per_nomination"]}
    assignment: dict[str, Any] = {"mode": "every_juror"}
    if kind == "review" and jury_size > EVERY_JUROR_UP_TO:
        cap = math.ceil(1.5 * entry_count * JURORS_PER_ENTRY / jury_size)
        assignment = {
            "mode": "jurors_per_entry",
            "k": JURORS_PER_ENTRY,
            "cap_per_juror": cap,
            "seed": scenario.data["seed"],
        }
    declaration = {
        "name": stage["name"],
        "kind": kind,
        "criteria": criteria,
        "advancement": advancement,
        "tie_breaks": stage["tie_breaks"],
        "assignment": assignment,
    }
    if kind == "final" and (where := scenario.data.get("final")):
        held_at = final_date(datetime.fromisoformat(where["date"]), submissions_close_at)
        declaration |= {"held_at": held_at.isoformat(), "venue": where["place"]}
    return declaration


def final_date(scenario_date: datetime, submissions_close_at: datetime | None) -> datetime:
    """The final's date for this run: `FINAL_AFTER_CLOSING` after the submission window closes (which
    is set from the moment of the run), at the hour the scenario gives in its own time zone; the
    scenario's date itself when no window is known."""
    if submissions_close_at is None:
        return scenario_date
    day = (submissions_close_at + FINAL_AFTER_CLOSING).astimezone(scenario_date.tzinfo).date()
    return datetime.combine(day, scenario_date.timetz())


def special_mentions(
    scenario: Scenario, finalists: list[dict[str, Any]], titles: dict[str, str]
) -> list[dict[str, str]]:
    """The scenario's special mentions of the final (judging's `special_mentions` of SetAwards), for
    those of its entries that reached the final: judging refuses a mention of any other entry."""
    by_title = {titles[f["entry_id"]]: f["entry_id"] for f in finalists}
    declared = scenario.stage("final").get("special_mentions", [])
    return [{"entry_id": by_title[m["title"]], "text": m["text"]} for m in declared if m["title"] in by_title]


def register_jury(client: ServiceClient, contest_id: str, jury: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each juror registered with judging; the scenario's juror with its id and token added."""
    registered = []
    for juror in jury:
        body = {k: juror[k] for k in ("position", "library", "territory_code", "email")}
        created = client.judging(
            "POST", f"/contests/{contest_id}/jurors", json={"name": juror["full_name"], **body}
        )
        registered.append({**juror, "id": created["id"], "token": created["token"]})
    return registered


def open_stage(client: ServiceClient, contest_id: str, stage_id: str, timeout: float) -> dict[str, Any]:
    """Open a stage; stage 1 waits until SubmissionsClosed has reached judging."""
    path = f"/contests/{contest_id}/stages/{stage_id}/open"

    def opened() -> dict[str, Any] | None:
        response = client.judging_raw("POST", path)
        if response.status_code == 409 and "still open" in response.text:
            return None
        if response.is_error:
            raise DemoError.said(
                phrase(
                    "answered", request=f"POST {path}", status=response.status_code, body=response.text[:500]
                )
            )
        return response.json()  # type: ignore[no-any-return]

    return wait_for(opened, timeout, "wait_judging_knows_closed")


def score_as(
    client: ServiceClient, scenario: Scenario, kind: str, stage: dict[str, Any], juror: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """The juror scores every entry assigned to them with the scenario's marks; entries by id."""
    base = f"/contests/{stage['contest_id']}/stages/{stage['id']}"
    mine = client.judging("GET", f"{base}/my-entries", token=juror["token"])
    for entry in mine:
        marks = scenario.marks(kind, juror, entry["title"])
        client.judging(
            "PUT", f"{base}/entries/{entry['id']}/my-score", token=juror["token"], json={"marks": marks}
        )
    return {entry["id"]: entry for entry in mine}


def score_review(
    client: ServiceClient,
    scenario: Scenario,
    stage: dict[str, Any],
    jury: list[dict[str, Any]],
    tell: Say,
    language: Language = "ru",
) -> int:
    """Every juror scores what they were assigned; the number of score sheets."""
    sheets = 0
    for juror in jury:
        sheets += len(score_as(client, scenario, "review", stage, juror))
        tell(say(language, "sheets_so_far", name=name_in(language, juror["full_name"]), n=sheets))
    return sheets


def close_stage(
    client: ServiceClient,
    scenario: Scenario,
    stage: dict[str, Any],
    chair: dict[str, Any],
    titles: dict[str, str],
    tell: Say,
    language: Language = "ru",
) -> list[dict[str, Any]]:
    """Close the stage; if judging reports a tie only the chair can break, the chair orders the tied
    entries by their own marks (from the scenario) and the stage is closed again. Its results."""
    base = f"/contests/{stage['contest_id']}/stages/{stage['id']}"
    response = client.judging_raw("POST", f"{base}/close")
    if response.status_code == 409 and "tied_entries" in response.text:
        ordered = [
            _chair_order(scenario, stage, chair, group, titles) for group in response.json()["tied_entries"]
        ]
        tell(say(language, "tie", n=sum(map(len, ordered))))
        client.judging("PUT", f"{base}/chair-ordering", json={"entry_ids": [e for g in ordered for e in g]})
        response = client.judging_raw("POST", f"{base}/close")
    if response.is_error:
        raise DemoError.said(
            phrase("close_refused", name=stage["name"], status=response.status_code, body=response.text[:500])
        )
    return client.judging("GET", f"{base}/results")  # type: ignore[no-any-return]


def _chair_order(
    scenario: Scenario, stage: dict[str, Any], chair: dict[str, Any], group: list[str], titles: dict[str, str]
) -> list[str]:
    weights = {c["name"]: c["weight"] for c in stage["definition"]["criteria"]}

    def chair_total(entry_id: str) -> float:
        marks = scenario.marks(stage["kind"], chair, titles[entry_id])
        return float(sum(weights.get(name, 0) * mark for name, mark in marks.items()))

    return sorted(group, key=lambda entry_id: (-chair_total(entry_id), group.index(entry_id)))


def run_final(
    client: ServiceClient,
    scenario: Scenario,
    stage: dict[str, Any],
    jury: list[dict[str, Any]],
    titles: dict[str, str],
    tell: Say,
    language: Language = "ru",
) -> None:
    """Each finalist defends in the running order; the jurors on its panel score it during the defence."""
    base = f"/contests/{stage['contest_id']}/stages/{stage['id']}"
    panels = {
        juror["id"]: {e["id"] for e in client.judging("GET", f"{base}/my-entries", token=juror["token"])}
        for juror in jury
    }
    for entry_id in stage["running_order"]:
        client.judging("POST", f"{base}/defence/start", json={"entry_id": entry_id})
        panel = [juror for juror in jury if entry_id in panels[juror["id"]]]
        for juror in panel:
            marks = scenario.marks("final", juror, titles[entry_id])
            client.judging(
                "PUT", f"{base}/entries/{entry_id}/my-score", token=juror["token"], json={"marks": marks}
            )
        client.judging("POST", f"{base}/defence/end")
        line = next(
            e for e in client.judging("GET", f"{base}/scoreboard")["entries"] if e["entry_id"] == entry_id
        )
        mean = decimal(language, line["mean"])
        title = quoted(language, titles[entry_id])
        tell(say_within(language, "defended", "title", title=title, n=len(panel), mean=mean))
