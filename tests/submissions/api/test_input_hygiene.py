"""Input no stored object may hold is refused at the edge, the same on SQLite and PostgreSQL: control
characters and lone surrogates in any text, numbers that are not finite, paging past any real page."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from .conftest import ORGANISER, author, entry_body, submitted


async def post_raw(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], **replace: str
) -> httpx.Response:
    """Post `body` as JSON text in which each placeholder value is replaced by the raw JSON given."""
    text = json.dumps(body)
    for placeholder, raw in replace.items():
        text = text.replace(json.dumps(placeholder), raw)
    return await client.post(url, content=text, headers={"content-type": "application/json"} | ORGANISER)


async def entries_listed(client: httpx.AsyncClient, contest_id: str) -> int:
    listed = await client.get(f"/contests/{contest_id}/entries", headers=ORGANISER)
    assert listed.status_code == 200, listed.text
    return int(listed.json()["total"])


@pytest.mark.parametrize(
    ("raw", "character"),
    [('"Ива\\u0000нова"', "U+0000"), ('"Ива\\u0007нова"', "U+0007"), ('"Ива\\ud800нова"', "U+D800")],
    ids=["nul", "bell", "lone-surrogate"],
)
async def test_a_control_character_anywhere_in_an_entry_is_refused_beside_its_field(
    client: httpx.AsyncClient, contest_id: str, raw: str, character: str
) -> None:
    url = f"/contests/{contest_id}/entries"
    body = entry_body(authors=[author(), author(full_name="PLACEHOLDER", email="second@example.org")])
    response = await post_raw(client, url, body, PLACEHOLDER=raw)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [
        {
            "location": ["body", "authors", 1, "full_name"],
            "message": f"the control character {character} is not allowed",
            "type": "control_character",
        }
    ]
    assert await entries_listed(client, contest_id) == 0


async def test_tabs_and_line_breaks_are_text_and_are_kept(client: httpx.AsyncClient, contest_id: str) -> None:
    annotation = "Первая строка.\nВторая строка.\r\n\tС отступом."
    entry = await submitted(client, contest_id, annotation=annotation)
    stored = await client.get(
        f"/entries/{entry['id']}", headers={"Authorization": f"Bearer {entry['token']}"}
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["content"]["annotation"] == annotation


async def test_a_number_that_is_not_finite_is_refused(client: httpx.AsyncClient) -> None:
    from .conftest import contest_body

    body = contest_body()
    body["rules"]["attachments"]["max_size_bytes"] = "PLACEHOLDER"
    for raw in ("1e999", "NaN", "-Infinity", "1" + "0" * 400 + ".0"):
        response = await post_raw(client, "/contests", body, PLACEHOLDER=raw)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["location"] == ["body", "rules", "attachments", "max_size_bytes"]


async def test_a_control_character_in_the_address_or_the_query_is_refused(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    for url in (f"/contests/{contest_id}/entries?q=a%00b", f"/contests/{contest_id}/entries?q=%1b"):
        response = await client.get(url, headers=ORGANISER)
        assert response.status_code == 422, (url, response.text)
    assert (
        await client.get(f"/contests/{contest_id}/entries?q=%D0%B0%20b", headers=ORGANISER)
    ).status_code == 200


@pytest.mark.parametrize("offset", [2**63, 2**64, 10**30])
async def test_paging_past_any_real_page_is_a_clear_refusal(
    client: httpx.AsyncClient, contest_id: str, offset: int
) -> None:
    response = await client.get(f"/contests/{contest_id}/entries?offset={offset}", headers=ORGANISER)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == ["query", "offset"]
