"""What the organiser's console reads of the entries: the list by territory kind and searched by title,
author or library (case and ё/е ignored), its plain columns, the exports narrowed the same way,
received / withdrawn / active counts, and one entry's history."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import httpx
from openpyxl import load_workbook

from submissions.domain import FixedClock

from .conftest import ORGANISER, author, bearer, create_published_contest, submitted


async def fill(client: httpx.AsyncClient, contest_id: str, clock: FixedClock) -> list[dict[str, Any]]:
    """Four entries a minute apart, from both kinds of territory; the third is withdrawn."""
    specs = [
        ("Рюкзачок знаний", "service-guide", "Заводискер Оксана", "ЦБС г. Белово", "belovo-city"),
        ("Красная книга", "idea-generator", "Петрова Мария", "Чебулинская ЦБС", "chebulinsky-district"),
        ("Ёлка желаний", "idea-generator", "Сидорова Ольга", "Библиотека «Ёлочка»", "belovo-city"),
        ("Вместе", "service-guide", "Кузнецова Анна", "Чебулинская ЦБС", "chebulinsky-district"),
    ]
    entries = []
    for title, nomination, name, library, territory in specs:
        clock.advance(timedelta(minutes=1))
        authors = [author(full_name=name, library=library, territory_code=territory, email=None)]
        entries.append(
            await submitted(client, contest_id, title=title, nomination_code=nomination, authors=authors)
        )
    withdrawn = entries[2]
    response = await client.request(
        "DELETE", f"/entries/{withdrawn['id']}", json={"reason": "дубль"}, headers=bearer(withdrawn["token"])
    )
    assert response.status_code == 200, response.text
    return entries


async def listed(client: httpx.AsyncClient, contest_id: str, **params: Any) -> list[str]:
    response = await client.get(f"/contests/{contest_id}/entries", params=params, headers=ORGANISER)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_the_list_filters_by_territory_kind_and_each_row_has_plain_columns(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    await fill(client, contest_id, clock)
    assert await listed(client, contest_id, territory_kind="municipal_district") == [
        "Красная книга",
        "Вместе",
    ]
    assert await listed(client, contest_id, territory_kind="city_district", status="submitted") == [
        "Рюкзачок знаний"
    ]
    wrong = await client.get(
        f"/contests/{contest_id}/entries", params={"territory_kind": "village"}, headers=ORGANISER
    )
    assert wrong.status_code == 422
    row = (await client.get(f"/contests/{contest_id}/entries", headers=ORGANISER)).json()["items"][1]
    assert {
        k: row[k] for k in ("nomination_code", "territory_code", "territory_kind", "title", "authors")
    } == {
        "nomination_code": "idea-generator",
        "territory_code": "chebulinsky-district",
        "territory_kind": "municipal_district",
        "title": "Красная книга",
        "authors": ["Петрова Мария"],
    }
    assert row["library"] == "Чебулинская ЦБС" and row["status"] == "submitted" and row["submitted_at"]


async def test_search_finds_the_library_too_whatever_its_case_and_yo(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    await fill(client, contest_id, clock)
    assert await listed(client, contest_id, q="чебулинская цбс") == ["Красная книга", "Вместе"]
    assert await listed(client, contest_id, q="ЕЛОЧКА") == ["Ёлка желаний"]
    assert await listed(client, contest_id, q="елочка", status="submitted") == []
    assert await listed(client, contest_id, q="БЕЛОВО рюкзачок") == ["Рюкзачок знаний"]
    assert await listed(client, contest_id, q="ольга ёлка") == ["Ёлка желаний"]


async def test_the_exports_honour_the_same_filters(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    await fill(client, contest_id, clock)
    params = {"territory_kind": "municipal_district", "q": "вместе"}
    csv = await client.get(f"/contests/{contest_id}/export.csv", params=params, headers=ORGANISER)
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and "Вместе" in lines[1]
    xlsx = await client.get(
        f"/contests/{contest_id}/export.xlsx", params={"nomination": "idea-generator"}, headers=ORGANISER
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [row[2] for row in list(sheet.iter_rows(values_only=True))[1:]] == ["Красная книга"]
    everything = await client.get(f"/contests/{contest_id}/export.csv", headers=ORGANISER)
    assert len(everything.content.decode("utf-8-sig").strip().splitlines()) == 4  # withdrawn left out
    params = {"status": "withdrawn"}
    withdrawn = await client.get(f"/contests/{contest_id}/export.csv", params=params, headers=ORGANISER)
    lines = withdrawn.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and "Ёлка желаний" in lines[1]


async def test_statistics_count_received_withdrawn_and_active_by_nomination_territory_and_kind(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    await fill(client, contest_id, clock)
    stats = (await client.get(f"/contests/{contest_id}/statistics", headers=ORGANISER)).json()
    assert stats["by_nomination"] == [
        {"code": "service-guide", "title": "Сервис гид", "received": 2, "withdrawn": 0, "active": 2},
        {"code": "idea-generator", "title": "Генератор идей", "received": 2, "withdrawn": 1, "active": 1},
    ]
    assert stats["by_territory"] == [
        {
            "code": "belovo-city",
            "name": "Беловский городской округ",
            "kind": "city_district",
            "received": 2,
            "withdrawn": 1,
            "active": 1,
        },
        {
            "code": "chebulinsky-district",
            "name": "Чебулинский муниципальный район",
            "kind": "municipal_district",
            "received": 2,
            "withdrawn": 0,
            "active": 2,
        },
    ]
    assert stats["by_territory_kind"] == [
        {"kind": "city_district", "received": 2, "withdrawn": 1, "active": 1},
        {"kind": "municipal_district", "received": 2, "withdrawn": 0, "active": 2},
    ]
    assert stats["entry_count"] == 3  # the figures that were there stay as they were


async def test_an_entry_history_lists_its_revisions_and_its_withdrawal_for_organisers(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    entry = await submitted(client, contest_id)
    url, token = f"/entries/{entry['id']}", bearer(entry["token"])
    clock.advance(timedelta(hours=1))
    assert (await client.patch(url, json={"title": "Рюкзачок знаний 2.0"}, headers=token)).status_code == 200
    clock.advance(timedelta(hours=1))
    changes = {"annotation": "Новая", "links": ["https://example.org/new"]}
    assert (await client.patch(url, json=changes, headers=token)).status_code == 200
    clock.advance(timedelta(hours=1))
    await client.request("DELETE", url, json={"reason": "Подадим в другой номинации"}, headers=token)

    history_url = f"/contests/{contest_id}/entries/{entry['id']}/history"
    response = await client.get(history_url, headers=ORGANISER)
    assert response.status_code == 200, response.text
    history = response.json()
    assert history["entry_id"] == entry["id"]
    assert [(r["revision"], r["changed"], r["title"]) for r in history["revisions"]] == [
        (1, [], "Рюкзачок знаний"),
        (2, ["title"], "Рюкзачок знаний 2.0"),
        (3, ["annotation", "links"], "Рюкзачок знаний 2.0"),
        (4, ["status"], "Рюкзачок знаний 2.0"),
    ]
    moments = [r["at"] for r in history["revisions"]]
    assert moments == sorted(moments) and len(set(moments)) == 4
    assert history["withdrawal_reason"] == "Подадим в другой номинации" and history["withdrawn_at"]

    other = await create_published_contest(client)
    assert (
        await client.get(f"/contests/{other}/entries/{entry['id']}/history", headers=ORGANISER)
    ).status_code == 404
    missing = f"/contests/{contest_id}/entries/{uuid.uuid4()}/history"
    assert (await client.get(missing, headers=ORGANISER)).status_code == 404
    assert (await client.get(history_url, headers=token)).status_code in (401, 403)
