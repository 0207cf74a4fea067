"""What organisers read: the list (filter, page, search), the seed's statistics, CSV and XLSX exports."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import httpx
from openpyxl import load_workbook

from submissions.domain import FixedClock

from .conftest import ORGANISER, author, submitted


def seed(name: str) -> Any:
    return json.loads(
        resources.files("kaleidoscope_cli.scenarios").joinpath(name).read_text(encoding="utf-8")
    )


async def test_the_seed_contest_statistics_say_34_entries_from_10_city_and_9_municipal_districts(
    client: httpx.AsyncClient, clock: FixedClock
) -> None:
    contest = {k: v for k, v in seed("contest.json").items() if k not in {"id", "status", "published_at"}}
    created = await client.post("/contests", json=contest, headers=ORGANISER)
    contest_id = created.json()["id"]
    await client.post(f"/contests/{contest_id}/publish", headers=ORGANISER)
    for raw in seed("entries.json"):
        clock.set(datetime.fromisoformat(raw["submitted_at"]))
        body = {k: v for k, v in raw.items() if k not in {"id", "submitted_at"}}
        response = await client.post(f"/contests/{contest_id}/entries", json=body)
        assert response.status_code == 201, response.text
    stats = (await client.get(f"/contests/{contest_id}/statistics", headers=ORGANISER)).json()
    assert stats["summary_en"] == "34 entries from 10 city districts and 9 municipal districts"
    assert stats["summary_ru"] == "34 работы из 10 городских округов и 9 муниципальных районов"
    assert stats["entry_count"] == 34
    assert stats["territories_by_kind"] == {"city_district": 10, "municipal_district": 9}
    assert stats["entries_by_nomination"] == {
        "service-guide": 12,
        "information-collection": 11,
        "idea-generator": 11,
    }
    assert len(stats["entries_by_territory"]) == 19


async def fill(client: httpx.AsyncClient, contest_id: str, clock: FixedClock) -> list[dict[str, Any]]:
    """Five entries, a minute apart."""
    specs = [
        ("Рюкзачок знаний", "service-guide", "Заводискер Оксана Юрьевна", "belovo-city"),
        ("Красная книга Чебулинского района", "idea-generator", "Петрова Мария", "chebulinsky-district"),
        ("Ёлка желаний", "idea-generator", "Сидорова Ольга", "belovo-city"),
        ("Вместе создаём историю", "service-guide", "Кузнецова Анна", "chebulinsky-district"),
        ("=SUM(A1:A9)", "service-guide", "Иванов Пётр", "belovo-city"),
    ]
    entries = []
    for title, nomination, name, territory in specs:
        clock.advance(timedelta(minutes=1))
        authors = [author(full_name=name, territory_code=territory, email=None)]
        entries.append(
            await submitted(client, contest_id, title=title, nomination_code=nomination, authors=authors)
        )
    return entries


async def listed(client: httpx.AsyncClient, contest_id: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/contests/{contest_id}/entries", params=params, headers=ORGANISER)
    assert response.status_code == 200, response.text
    return dict(response.json())


def titles(page: dict[str, Any]) -> list[str]:
    return [item["content"]["title"] for item in page["items"]]


async def test_organisers_filter_by_nomination_territory_and_status(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    entries = await fill(client, contest_id, clock)
    await client.request(
        "DELETE",
        f"/entries/{entries[2]['id']}",
        json={"reason": "дубль"},
        headers={"Authorization": f"Bearer {entries[2]['token']}"},
    )
    assert titles(await listed(client, contest_id, nomination="idea-generator")) == [
        "Красная книга Чебулинского района",
        "Ёлка желаний",
    ]
    assert titles(await listed(client, contest_id, territory="chebulinsky-district")) == [
        "Красная книга Чебулинского района",
        "Вместе создаём историю",
    ]
    assert titles(await listed(client, contest_id, status="withdrawn")) == ["Ёлка желаний"]
    both = await listed(client, contest_id, nomination="idea-generator", status="submitted")
    assert titles(both) == ["Красная книга Чебулинского района"] and both["total"] == 1


async def test_organisers_page_through_the_entries_oldest_first(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    entries = await fill(client, contest_id, clock)
    pages = [await listed(client, contest_id, offset=offset, limit=2) for offset in (0, 2, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5]
    assert [item["id"] for p in pages for item in p["items"]] == [e["id"] for e in entries]
    too_big = await client.get(f"/contests/{contest_id}/entries", params={"limit": 10_000}, headers=ORGANISER)
    assert too_big.status_code == 422


async def test_search_finds_words_of_the_title_and_authors_whatever_their_case_and_yo(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    await fill(client, contest_id, clock)
    assert titles(await listed(client, contest_id, q="ЕЛКА")) == ["Ёлка желаний"]
    assert titles(await listed(client, contest_id, q="петрова красная")) == [
        "Красная книга Чебулинского района"
    ]
    assert titles(await listed(client, contest_id, q="ИВАНОВ пётр")) == ["=SUM(A1:A9)"]
    assert titles(await listed(client, contest_id, q="100%_")) == []


async def test_exports_neutralise_formulas_in_csv_and_keep_text_as_text_in_xlsx(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    await fill(client, contest_id, clock)
    csv = await client.get(f"/contests/{contest_id}/export.csv", headers=ORGANISER)
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    text = csv.content.decode("utf-8-sig")
    assert "'=SUM(A1:A9)" in text and "Рюкзачок знаний" in text
    assert len(text.strip().splitlines()) == 6
    xlsx = await client.get(
        f"/contests/{contest_id}/export.xlsx", params={"language": "en"}, headers=ORGANISER
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "Title" and len(rows) == 6
    formula_cell = sheet.cell(row=6, column=3)
    assert formula_cell.value == "=SUM(A1:A9)" and formula_cell.data_type == "s"
