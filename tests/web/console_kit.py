"""What the console's browser test needs besides the pages: a part of the seed contest (its three
nominations, the territories its entries and jurors come from, eight of its entries), the seed's jury
of seven and the seed's two stages, the marks each juror gives, and looking at a page in both languages
(switched with the page's own language link) at phone and desktop size."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from kaleidoscope_cli.demo_contest import HISTORY_FIELDS, read_scenario_json

from .conftest import DESKTOP, PHONE, look

SCENARIO = read_scenario_json("library_kaleidoscope.json")
CONTEST = read_scenario_json("contest.json")
REVIEW, FINAL = SCENARIO["stages"]
JURY = SCENARIO["jury"][:7]
CHAIR = JURY[0]

# The entries that arrive, by nomination: four in one (so the top 3 leave one out), two in the others.
ENTRY_TITLES = {
    "service-guide": (
        "Рюкзачок знаний",
        "Ясная речь: библиотека для читателей с нарушениями слуха",
        "Книга на дом: служба доставки для маломобильных читателей",
        "Буккроссинг на остановках",
    ),
    "information-collection": ("Красная книга Чебулинского района", "Видеолетопись Белово"),
    "idea-generator": ("Квест «Тайны старой Анжерки»", "Экосубботник с книгой"),
}
# Stage 1: each juror's mark on every criterion. The last two of the service guide tie on every mark,
# so the seed's chain decides between them by the earlier submission (the Книга на дом was sent first).
REVIEW_MARKS = {
    "Рюкзачок знаний": 9,
    "Ясная речь: библиотека для читателей с нарушениями слуха": 8,
    "Книга на дом: служба доставки для маломобильных читателей": 6,
    "Буккроссинг на остановках": 6,
    "Красная книга Чебулинского района": 8,
    "Видеолетопись Белово": 7,
    "Квест «Тайны старой Анжерки»": 9,
    "Экосубботник с книгой": 5,
}
# The final: the information collection's two finalists tie on every figure judging compares (the same
# marks from the same jurors, no top mark), so only the chair can order them.
FINAL_MARKS = {
    "Рюкзачок знаний": 9,
    "Ясная речь: библиотека для читателей с нарушениями слуха": 7,
    "Книга на дом: служба доставки для маломобильных читателей": 6,
    "Красная книга Чебулинского района": 8,
    "Видеолетопись Белово": 8,
    "Квест «Тайны старой Анжерки»": 9,
    "Экосубботник с книгой": 6,
}
CONFLICTED = (CHAIR["full_name"], "Книга на дом: служба доставки для маломобильных читателей")


def seed_entries() -> list[dict[str, Any]]:
    """The chosen seed entries as submissions takes them, in the order they are sent; every author
    gets an address, so that every participant can be told."""
    by_title = {e["title"]: e for e in read_scenario_json("entries.json")}
    entries = []
    for titles in ENTRY_TITLES.values():
        for title in titles:
            raw = by_title[title]
            authors = [
                {**a, "email": a["email"] or f"author{len(entries) + 1}-{n}@example.org"}
                for n, a in enumerate(raw["authors"], start=1)
            ]
            entries.append({k: v for k, v in raw.items() if k not in HISTORY_FIELDS} | {"authors": authors})
    return entries


def territories() -> list[dict[str, str]]:
    """The seed's territories the chosen entries and the jury come from, in the seed's order."""
    used = {a["territory_code"] for e in seed_entries() for a in e["authors"]} | {
        j["territory_code"] for j in JURY
    }
    return [t for t in CONTEST["territories"] if t["code"] in used]


def window() -> tuple[str, str]:
    """Entries open yesterday and close in a month (dates as a date field takes them)."""
    today = date.today()
    return (today - timedelta(days=1)).isoformat(), (today + timedelta(days=30)).isoformat()


def marks_of(stage: dict[str, Any], mark: int) -> dict[str, int]:
    return {c["name"]: mark for c in stage["criteria"]}


class Jurors:
    """The jury scoring through judging's API with the personal tokens the console showed once."""

    def __init__(self, judging: str, contest_id: str) -> None:
        self.client = httpx.Client(base_url=judging, timeout=30)
        self.contest_id = contest_id
        self.tokens: dict[str, str] = {}

    def close(self) -> None:
        self.client.close()

    def call(self, name: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[name]}"}
        response = self.client.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 400, f"{name}: {method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def mine(self, name: str, stage_id: str) -> dict[str, str]:
        """The entries assigned to the juror in the stage: title → id."""
        found = self.call(name, "GET", f"/contests/{self.contest_id}/stages/{stage_id}/my-entries")
        return {e["title"]: e["id"] for e in found}

    def score(self, name: str, stage_id: str, entry_id: str, marks: dict[str, int]) -> None:
        path = f"/contests/{self.contest_id}/stages/{stage_id}/entries/{entry_id}/my-score"
        self.call(name, "PUT", path, json={"marks": marks})


def language_of(page: Any) -> str:
    return str(page.locator("html").get_attribute("lang") or "ru")[:2]


def switch_language(page: Any) -> None:
    """The header's language link: the same page in the other language."""
    before = language_of(page)
    page.locator("nav.language-switch a").first.click()
    page.wait_for_load_state()
    assert language_of(page) != before, f"the language link left {page.url} in {before}"


def look_at_sizes(page: Any, name: str) -> None:
    size = page.viewport_size
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        look(page, f"console-{name}-{language_of(page)}-{label}")
    page.set_viewport_size(size)


def look_both_ways(page: Any, name: str) -> None:
    """The page at phone and desktop size, in its language and then (by its language link) in the
    other, and back."""
    look_at_sizes(page, name)
    switch_language(page)
    look_at_sizes(page, name)
    switch_language(page)
