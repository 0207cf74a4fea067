"""A retried POST with the same Idempotency-Key creates one entry and gets the same answer."""

from __future__ import annotations

import asyncio

import httpx

from .conftest import ORGANISER, entry_body


async def post(client: httpx.AsyncClient, contest_id: str, key: str, **overrides: object) -> httpx.Response:
    return await client.post(
        f"/contests/{contest_id}/entries", json=entry_body(**overrides), headers={"Idempotency-Key": key}
    )


async def entry_count(client: httpx.AsyncClient, contest_id: str) -> int:
    listed = await client.get(f"/contests/{contest_id}/entries", headers=ORGANISER)
    return int(listed.json()["total"])


async def test_a_retried_post_creates_one_entry_and_answers_the_same(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    first = await post(client, contest_id, "retry-1")
    again = await post(client, contest_id, "retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert await entry_count(client, contest_id) == 1


async def test_concurrent_retries_create_one_entry(client: httpx.AsyncClient, contest_id: str) -> None:
    responses = await asyncio.gather(*(post(client, contest_id, "burst") for _ in range(5)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await entry_count(client, contest_id) == 1


async def test_the_same_key_with_another_body_is_refused(client: httpx.AsyncClient, contest_id: str) -> None:
    await post(client, contest_id, "reused")
    other = await post(client, contest_id, "reused", title="Совсем другая заявка")
    assert other.status_code == 422
    assert other.json()["idempotency_key"] == "reused"
    assert await entry_count(client, contest_id) == 1


async def test_without_a_key_a_repeat_is_caught_as_a_duplicate(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    first = await client.post(f"/contests/{contest_id}/entries", json=entry_body())
    second = await client.post(f"/contests/{contest_id}/entries", json=entry_body())
    assert (first.status_code, second.status_code) == (201, 409)
    assert first.json()["id"] not in second.text
