"""What the demo runs: the seed contest of "Library Kaleidoscope", or a bigger one generated from it.

The seed is `scenarios/contest.json` (3 nominations, 10 city and 9 municipal districts) and
`scenarios/entries.json` (34 entries), with the jury of the scenario file. A generated contest keeps
the seed's nominations and territories and draws entries and jurors from a generator seeded by the
scenario's seed, so the same options always give the same contest.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from .scenario import Scenario

SCENARIOS = "kaleidoscope_cli.scenarios"
# Fields of the seed files that describe a past contest, not a request to the submissions API.
HISTORY_FIELDS = {"id", "status", "published_at", "submitted_at"}
SURNAMES = ("Иванова", "Петрова", "Смирнова", "Кузнецова", "Попова", "Волкова", "Морозова", "Новикова")
NAMES = ("Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Светлана", "Ирина")
PATRONYMICS = ("Сергеевна", "Викторовна", "Петровна", "Андреевна", "Олеговна", "Ивановна")
POSITIONS = ("библиотекарь", "ведущий библиотекарь", "главный библиотекарь", "заведующая отделом")
SUBJECTS = ("Читающая семья", "Краеведческий маршрут", "Цифровой читальный зал", "Книжная мастерская")
FORMS = ("клуб", "квест", "онлайн-коллекция", "фестиваль", "лаборатория", "марафон", "служба")


@dataclass(frozen=True)
class DemoContest:
    """A contest to create, the entries to submit to it, and the jury that judges it."""

    contest: dict[str, Any]
    entries: list[dict[str, Any]]
    jury: list[dict[str, Any]]

    @property
    def territory_names(self) -> dict[str, str]:
        return {t["code"]: t["name"] for t in self.contest["territories"]}

    @property
    def nomination_titles(self) -> dict[str, str]:
        return {n["code"]: n["title"] for n in self.contest["nominations"]}


def read_scenario_json(name: str) -> Any:
    return json.loads(resources.files(SCENARIOS).joinpath(name).read_text(encoding="utf-8"))


def contest_open_now(now: datetime, scenario: Scenario) -> dict[str, Any]:
    """The seed contest as a creation request, its submission window open from an hour ago for a month,
    its first organiser reachable at the scenario's organiser address, its documents (the seed's full
    title) signed by the scenario's signatories."""
    contest = {k: v for k, v in read_scenario_json("contest.json").items() if k not in HISTORY_FIELDS}
    first, *others = contest["organisers"]
    contest["organisers"] = [{**first, "email": first["email"] or scenario.data["organiser_email"]}, *others]
    rules = contest.setdefault("rules", {})
    rules["documents"] = {**rules.get("documents", {}), "signatories": signatories(scenario)}
    contest["window"] = {
        "opens_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(),
    }
    return contest


def signatories(scenario: Scenario) -> list[dict[str, str]]:
    """Who signs the documents, as submissions takes them: the scenario's jurors it names, each with
    the position it gives and their name as a signature is transcribed («С. О. Каменев»)."""
    jurors = {juror["full_name"] for juror in scenario.jury}
    people = scenario.data.get("signatories", {}).get("people", [])
    if strangers := [p["juror"] for p in people if p["juror"] not in jurors]:
        raise ValueError(f"the scenario's signatories are not among its jurors: {strangers}")
    return [{"name": signature_name(p["juror"]), "position": p["position"]} for p in people]


def signature_name(full_name: str) -> str:
    """«Каменев Сергей Олегович» → «С. О. Каменев»: initials, then the surname."""
    surname, *names = full_name.split()
    return " ".join([*(f"{name[0]}." for name in names), surname])


def seed_contest(now: datetime, scenario: Scenario) -> DemoContest:
    """The 34 entries of the seed, judged by the scenario's jury; authors the seed gives no address
    get the scenario's demo address, so that every participant can be written to."""
    addresses = scenario.data["demo_addresses"]
    entries = []
    for raw in read_scenario_json("entries.json"):
        authors = [{**a, "email": a["email"] or addresses.get(a["full_name"])} for a in raw["authors"]]
        entries.append({k: v for k, v in raw.items() if k not in HISTORY_FIELDS} | {"authors": authors})
    return DemoContest(contest_open_now(now, scenario), entries, scenario.jury)


def generated_contest(now: datetime, scenario: Scenario, entries: int, jurors: int) -> DemoContest:
    """A contest of the seed's shape with `entries` entries and `jurors` jurors, the same every time."""
    rng = random.Random(scenario.data["seed"])
    contest = contest_open_now(now, scenario)
    contest["rules"] = {**contest.get("rules", {}), "max_entries_per_author_per_nomination": entries}
    territories = contest["territories"]
    nominations = [n["code"] for n in contest["nominations"]]
    generated = [_entry(rng, i, nominations[i % len(nominations)], territories) for i in range(entries)]
    return DemoContest(contest, generated, _jury(rng, scenario, jurors, [t["code"] for t in territories]))


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(NAMES)} {rng.choice(PATRONYMICS)}"


def _entry(rng: random.Random, i: int, nomination: str, territories: list[dict[str, Any]]) -> dict[str, Any]:
    territory = territories[i % len(territories)]
    return {
        "nomination_code": nomination,
        "title": f"{rng.choice(SUBJECTS)}: {rng.choice(FORMS)} №{i + 1}",
        "annotation": "Практика, сгенерированная для большого демонстрационного конкурса.",
        "authors": [
            {
                "full_name": _person(rng),
                "position": rng.choice(POSITIONS),
                "library": f"Библиотека-филиал №{i % 40 + 1}, {territory['name']}",
                "territory_code": territory["code"],
                "email": f"author{i + 1}@example.org",
            }
        ],
        "consent_to_personal_data": True,
    }


def _jury(rng: random.Random, scenario: Scenario, count: int, territories: list[str]) -> list[dict[str, Any]]:
    """The scenario's jury first, then generated jurors with a leniency of their own."""
    jury = scenario.jury[:count]
    for i in range(len(jury), count):
        jury.append(
            {
                "full_name": f"{_person(rng)} (эксперт {i + 1})",
                "position": "эксперт жюри",
                "library": f"Методический центр №{i + 1}",
                "territory_code": rng.choice(territories),
                "email": f"juror{i + 1}@example.org",
                "leniency": round(rng.uniform(-0.8, 0.8), 2),
            }
        )
    return jury
