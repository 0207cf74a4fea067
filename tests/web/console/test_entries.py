"""The console's entries pages against fake APIs: filters and search passed to submissions, paging,
the statistics tables, the exports streamed with the organiser's token, one entry's history."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx

from . import test_contests as kit
from .test_contests import CONTEST_ID, TOKEN, FakeApis

# the fake APIs and a signed-in console, as the contest pages' tests have them
apis, client, signed_in = kit.apis, kit.client, kit.signed_in
ENTRY_ID = "5e0b4a3c-0000-4000-8000-000000000010"
ENTRIES = f"/contests/{CONTEST_ID}/entries"


def an_entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": ENTRY_ID,
        "contest_id": CONTEST_ID,
        "revision": 3,
        "status": "withdrawn",
        "progress": "submitted",
        "content": {
            "nomination_code": "quest",
            "title": "Тайны старой Анжерки",
            "annotation": "Квест по истории города",
            "authors": [
                {
                    "full_name": "Анна Берёзова",
                    "position": "Библиотекарь",
                    "library": "ЦБС г. Белово",
                    "territory_code": "belovo-city",
                    "email": "anna@library.example",
                    "phone": None,
                    "language": "ru",
                }
            ],
            "links": ["https://library.example/quest"],
            "attachments": [],
            "consent_to_personal_data": True,
        },
        "submitted_at": "2026-11-05T03:00:00Z",
        "updated_at": "2026-11-20T03:00:00Z",
        "withdrawn_at": "2026-11-20T03:00:00Z",
        "withdrawal_reason": "Автор уехал",
    }
    entry.update(changes)
    return entry


def answer_list(apis: FakeApis, total: int = 1) -> None:
    apis.answer(
        "GET",
        ENTRIES,
        httpx.Response(200, json={"items": [an_entry()], "total": total, "offset": 0, "limit": 50}),
    )
    apis.answer(
        "GET",
        f"/contests/{CONTEST_ID}/statistics",
        httpx.Response(
            200,
            json={
                # as submissions answers: a row per nomination, territory and kind the contest lists
                "by_nomination": [
                    {"code": "quest", "title": "Квест", "received": 4, "withdrawn": 1, "active": 3}
                ],
                "by_territory": [
                    {
                        "code": "belovo-city",
                        "name": "Беловский городской округ",
                        "kind": "city_district",
                        "received": 2,
                        "withdrawn": 0,
                        "active": 2,
                    },
                    {
                        "code": "gone",
                        "name": "gone",
                        "kind": None,
                        "received": 1,
                        "withdrawn": 1,
                        "active": 0,
                    },
                ],
                "by_territory_kind": [{"kind": "city_district", "received": 2, "withdrawn": 0, "active": 2}],
            },
        ),
    )


async def test_the_entries_pages_redirect_to_the_sign_in_without_a_session(client: httpx.AsyncClient) -> None:
    for path in (
        f"/console/contests/{CONTEST_ID}/entries",
        f"/console/contests/{CONTEST_ID}/entries.csv",
        f"/console/contests/{CONTEST_ID}/entries/{ENTRY_ID}",
    ):
        response = await client.get(path)
        assert response.status_code == 303
        assert unquote(response.headers["location"]).startswith(f"/console/sign-in?next={path}")


async def test_the_list_passes_its_filters_and_search_to_submissions_and_shows_the_statistics(
    signed_in: httpx.AsyncClient,
    apis: FakeApis,
) -> None:
    answer_list(apis, total=120)
    page = await signed_in.get(
        f"/console/contests/{CONTEST_ID}/entries",
        params={
            "nomination": "quest",
            "territory_kind": "city_district",
            "status": "withdrawn",
            "q": " анжерки ",
            "page": 2,
        },
    )
    assert page.status_code == 200
    listed = apis.last("GET", ENTRIES)
    assert dict(listed.url.params) == {
        "nomination": "quest",
        "territory_kind": "city_district",
        "status": "withdrawn",
        "q": "анжерки",
        "offset": "50",
        "limit": "50",
    }
    assert listed.headers["authorization"] == f"Bearer {TOKEN}"
    text = page.text
    assert "«Тайны старой Анжерки»" not in text  # English page: English quotes
    assert "Тайны старой Анжерки" in text and "Анна Берёзова" in text and "ЦБС г. Белово" in text
    assert '<option value="quest" selected>' in text and '<option value="withdrawn" selected>' in text
    assert 'value="анжерки"' in text
    assert "Page 2 of 3" in text and 'rel="prev"' in text and 'rel="next"' in text
    assert "page=3" in text and "nomination=quest" in text
    # the export links carry the same filters
    assert (
        f"/console/contests/{CONTEST_ID}/entries.csv?nomination=quest&amp;territory_kind=city_district"
        in text
    )
    # statistics with names in place of codes, in the visitor's language for the kinds
    assert '<caption id="by-nomination">By nomination</caption>' in text
    assert (
        '<th scope="row">Квест</th><td class="number">4</td><td class="number">1</td><td class="number">3</td>'
        in text
    )
    assert '<th scope="row">Беловский городской округ</th><td class="number">2</td>' in text
    assert '<th scope="row">City district</th>' in text
    assert 'aria-current="page">Entries</a>' in text


async def test_the_export_is_streamed_from_submissions_with_the_filters_and_the_language(
    signed_in: httpx.AsyncClient,
    apis: FakeApis,
) -> None:
    apis.answer(
        "GET",
        f"/contests/{CONTEST_ID}/export.xlsx",
        httpx.Response(
            200,
            content=b"PK\x03\x04 workbook",
            headers={
                "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "content-disposition": 'attachment; filename="entries.xlsx"',
            },
        ),
    )
    response = await signed_in.get(
        f"/console/contests/{CONTEST_ID}/entries.xlsx", params={"territory": "belovo-city", "q": "квест"}
    )
    assert response.status_code == 200
    assert response.content == b"PK\x03\x04 workbook"
    assert response.headers["content-disposition"] == 'attachment; filename="entries.xlsx"'
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    called = apis.last("GET", f"/contests/{CONTEST_ID}/export.xlsx")
    assert dict(called.url.params) == {"territory": "belovo-city", "q": "квест", "language": "en"}
    assert called.headers["authorization"] == f"Bearer {TOKEN}"
    assert (await signed_in.get(f"/console/contests/{CONTEST_ID}/entries.pdf")).status_code == 404


async def test_one_entry_with_its_revisions_and_withdrawal_reason(
    signed_in: httpx.AsyncClient,
    apis: FakeApis,
) -> None:
    apis.answer("GET", f"/entries/{ENTRY_ID}", httpx.Response(200, json=an_entry()))
    apis.answer(
        "GET",
        f"{ENTRIES}/{ENTRY_ID}/history",
        httpx.Response(
            200,
            json={
                "entry_id": ENTRY_ID,
                "revisions": [
                    {"revision": 1, "at": "2026-11-05T03:00:00Z", "changed": [], "title": "Тайны Анжерки"},
                    {
                        "revision": 2,
                        "at": "2026-11-10T03:00:00Z",
                        "changed": ["title", "links"],
                        "title": "Тайны старой Анжерки",
                    },
                    {
                        "revision": 3,
                        "at": "2026-11-20T03:00:00Z",
                        "changed": ["status"],
                        "title": "Тайны старой Анжерки",
                    },
                ],
                "withdrawn_at": "2026-11-20T03:00:00Z",
                "withdrawal_reason": "Автор уехал",
            },
        ),
    )
    page = await signed_in.get(
        f"/console/contests/{CONTEST_ID}/entries/{ENTRY_ID}", headers={"accept-language": "ru"}
    )
    assert page.status_code == 200
    text = page.text
    assert "<h1>«Тайны старой Анжерки»</h1>" in text
    assert "Автор уехал" in text
    assert "название, ссылки" in text
    assert "20 ноября 2026, 10:00" in text  # in the contest's zone (+07:00)
    assert '<th scope="row">Анна Берёзова</th>' in text


async def test_an_entry_of_another_contest_is_not_found(signed_in: httpx.AsyncClient, apis: FakeApis) -> None:
    apis.answer(
        "GET",
        f"/entries/{ENTRY_ID}",
        httpx.Response(200, json=an_entry(contest_id="00000000-0000-4000-8000-000000000000")),
    )
    page = await signed_in.get(f"/console/contests/{CONTEST_ID}/entries/{ENTRY_ID}")
    assert page.status_code == 404
