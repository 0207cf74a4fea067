"""A declared stage can be replaced or removed until it opens; a stage nobody can use is never stored."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx

from .judging_kit import FINAL, ORGANISER, REVIEW, declare, register_jury


def with_weight(body: dict[str, Any], weight: object) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    changed["criteria"][0]["weight"] = weight
    return changed


async def test_an_infinite_weight_is_refused_and_the_contest_stays_usable(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    stages = f"/contests/{small_contest}/stages"
    for raw in ('{"weight": 1e999}', '{"weight": NaN}', '{"weight": Infinity}'):
        text = httpx.Request("POST", "/", json=REVIEW).content.decode()
        body = text.replace('{"name": "relevance", "weight": 3', raw[:-1] + ', "name": "relevance"', 1)
        body = body.replace('{"name":"relevance","weight":3', raw[:-1] + ',"name":"relevance"', 1)
        assert raw[1:-1] in body, body[:200]
        response = await client.post(
            stages, content=body, headers=ORGANISER | {"content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "finite" in response.text
    listed = await client.get(stages, headers=ORGANISER)
    assert listed.status_code == 200 and listed.json() == []
    review = await declare(client, small_contest, REVIEW)  # the contest is still usable
    assert review["position"] == 1


async def test_a_declared_stage_is_replaced_in_place_or_removed_and_the_later_ones_move_up(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    stages = f"/contests/{small_contest}/stages"
    first = await declare(client, small_contest, REVIEW)
    second = await declare(client, small_contest, REVIEW | {"name": "second review"})
    final = await declare(client, small_contest, FINAL)

    replaced = await client.put(
        f"{stages}/{second['id']}", json=with_weight(REVIEW, 5) | {"name": "re-review"}, headers=ORGANISER
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["position"] == 2 and replaced.json()["name"] == "re-review"
    assert replaced.json()["definition"]["criteria"][0]["weight"] == 5

    bad = await client.put(f"{stages}/{second['id']}", json=FINAL, headers=ORGANISER)  # a final not last
    assert bad.status_code == 422, bad.text

    removed = await client.delete(f"{stages}/{second['id']}", headers=ORGANISER)
    assert removed.status_code == 204, removed.text
    listed = (await client.get(stages, headers=ORGANISER)).json()
    assert [(s["id"], s["position"]) for s in listed] == [(first["id"], 1), (final["id"], 2)]

    gone = await client.delete(f"{stages}/{second['id']}", headers=ORGANISER)
    assert gone.status_code == 404
    anonymous = await client.delete(f"{stages}/{final['id']}")
    assert anonymous.status_code == 401


async def test_an_opened_stage_can_be_neither_replaced_nor_removed(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    stages = f"/contests/{small_contest}/stages"
    await register_jury(client, small_contest, 3)
    review = await declare(client, small_contest, REVIEW)
    opened = await client.post(f"{stages}/{review['id']}/open", headers=ORGANISER)
    assert opened.status_code == 200, opened.text
    for response in (
        await client.put(f"{stages}/{review['id']}", json=REVIEW, headers=ORGANISER),
        await client.delete(f"{stages}/{review['id']}", headers=ORGANISER),
    ):
        assert response.status_code == 409, response.text
        assert "only a stage that has not been opened" in response.json()["detail"]


async def test_moments_in_answers_carry_their_utc_offset_on_both_databases(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    stages = f"/contests/{small_contest}/stages"
    await register_jury(client, small_contest, 3)
    review = await declare(client, small_contest, REVIEW)
    opened = (await client.post(f"{stages}/{review['id']}/open", headers=ORGANISER)).json()
    again = (await client.get(f"{stages}/{review['id']}", headers=ORGANISER)).json()
    assert opened["opened_at"] == again["opened_at"]
    assert again["opened_at"].endswith(("Z", "+00:00")), again["opened_at"]
