"""Input no stored object may hold is refused at the edge by judging as by submissions, the same on SQLite
and PostgreSQL: control characters in any text, numbers that are not finite (a stage's weight of 1e999
was once stored as null and broke every later declaration), paging past any real page."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import httpx
import pytest

from .judging_kit import ORGANISER, REVIEW, bearer, register_jury


async def send_raw(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], raw: str, headers: dict[str, str]
) -> httpx.Response:
    """POST `body` as JSON text in which the value "PLACEHOLDER" is replaced by the raw JSON `raw`."""
    text = json.dumps(body).replace('"PLACEHOLDER"', raw)
    return await client.post(url, content=text, headers={"content-type": "application/json", **headers})


def review_with(field: str) -> dict[str, Any]:
    body = copy.deepcopy(REVIEW)
    body["criteria"][1][field] = "PLACEHOLDER"
    return body


async def stages_of(client: httpx.AsyncClient, contest_id: uuid.UUID) -> list[Any]:
    response = await client.get(f"/contests/{contest_id}/stages", headers=ORGANISER)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("offset", [2**63, 2**64, 10**30])
async def test_paging_past_any_real_page_is_a_clear_refusal(
    client: httpx.AsyncClient, small_contest: uuid.UUID, offset: int
) -> None:
    response = await client.get(f"/contests/{small_contest}/audit?offset={offset}", headers=ORGANISER)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == ["query", "offset"]
    last = await client.get(f"/contests/{small_contest}/audit?offset=1000000000", headers=ORGANISER)
    assert last.status_code == 200 and last.json()["items"] == [], last.text


@pytest.mark.parametrize("raw", ['"nov\\u0000elty"', '"\\u001b[2J"'], ids=["nul", "escape"])
async def test_a_control_character_in_a_declaration_is_refused_and_nothing_is_declared(
    client: httpx.AsyncClient, small_contest: uuid.UUID, raw: str
) -> None:
    url = f"/contests/{small_contest}/stages"
    response = await send_raw(client, url, review_with("name"), raw, ORGANISER)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == ["body", "criteria", 1, "name"]
    assert response.json()["errors"][0]["type"] == "control_character"
    assert await stages_of(client, small_contest) == []


@pytest.mark.parametrize("raw", ["1e999", "NaN", "1" + "0" * 400 + ".0"], ids=["1e999", "nan", "long"])
async def test_a_weight_that_is_not_finite_is_refused_and_the_contest_stays_usable(
    client: httpx.AsyncClient, small_contest: uuid.UUID, raw: str
) -> None:
    url = f"/contests/{small_contest}/stages"
    response = await send_raw(client, url, review_with("weight"), raw, ORGANISER)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "location": ["body", "criteria", 1, "weight"],
            "message": "the number must be finite",
            "type": "finite_number",
        }
    ]
    assert await stages_of(client, small_contest) == []
    declared = await client.post(url, json=REVIEW, headers=ORGANISER)
    assert declared.status_code == 201, declared.text


async def test_a_jurors_recusal_with_a_nul_is_refused(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    entry = (await client.get(f"/contests/{small_contest}/entries")).json()[0]
    url = f"/contests/{small_contest}/recusals"
    body = {"entry_id": entry["id"], "reason": "PLACEHOLDER"}
    response = await send_raw(client, url, body, '"моя\\u0000сестра"', bearer(juror))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == ["body", "reason"]
    assert await declared(client, small_contest) == []
    clean = await client.post(url, json={**body, "reason": "моя сестра"}, headers=bearer(juror))
    assert clean.status_code == 201, clean.text
    assert await declared(client, small_contest) == ["моя сестра"]


async def declared(client: httpx.AsyncClient, contest_id: uuid.UUID) -> list[str]:
    """The reasons of the conflicts jurors declared themselves."""
    conflicts = await client.get(f"/contests/{contest_id}/conflicts", headers=ORGANISER)
    assert conflicts.status_code == 200, conflicts.text
    return [c["reason"] for c in conflicts.json() if c["rule"] == "declared_by_juror"]
