"""Organisers define contests; what a contest refuses, and what the public sees of it."""

from __future__ import annotations

from datetime import timedelta

import httpx

from submissions.domain import FixedClock

from ..conftest import CLOSES, OPENS
from .conftest import ORGANISER, author, contest_body, create_published_contest, submit


async def test_a_contest_is_a_draft_hidden_from_the_public_until_published(client: httpx.AsyncClient) -> None:
    created = await client.post("/contests", json=contest_body(), headers=ORGANISER)
    assert created.status_code == 201 and created.json()["status"] == "draft"
    contest_id = created.json()["id"]
    assert (await client.get(f"/contests/{contest_id}")).status_code == 404
    assert [c["id"] for c in (await client.get("/contests")).json()] == []
    assert [c["id"] for c in (await client.get("/contests", headers=ORGANISER)).json()] == [contest_id]
    draft_entry = await submit(client, contest_id)
    assert draft_entry.status_code == 409 and draft_entry.json()["state"] == "draft"
    await client.post(f"/contests/{contest_id}/publish", headers=ORGANISER)
    public = (await client.get(f"/contests/{contest_id}")).json()
    assert public["status"] == "published"
    assert public["window"] == {"opens_at": OPENS.isoformat(), "closes_at": CLOSES.isoformat()}
    assert [n["code"] for n in public["nominations"]] == ["service-guide", "idea-generator"]


async def test_a_contest_with_a_naive_deadline_repeated_codes_or_a_backwards_window_is_422(
    client: httpx.AsyncClient,
) -> None:
    naive = contest_body(window={"opens_at": "2024-03-01T00:00:00", "closes_at": "2024-07-01T00:00:00"})
    backwards = contest_body(window={"opens_at": CLOSES.isoformat(), "closes_at": OPENS.isoformat()})
    repeated = contest_body(nominations=[{"code": "a", "title": "A"}, {"code": "a", "title": "B"}])
    unknown = contest_body(colour="red")
    for body in (naive, backwards, repeated, unknown):
        response = await client.post("/contests", json=body, headers=ORGANISER)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert "unique" in (await client.post("/contests", json=repeated, headers=ORGANISER)).json()["detail"]


async def test_a_contest_whose_deadline_has_passed_cannot_be_published(
    client: httpx.AsyncClient, clock: FixedClock
) -> None:
    created = (await client.post("/contests", json=contest_body(), headers=ORGANISER)).json()
    clock.set(CLOSES + timedelta(seconds=1))
    refused = await client.post(f"/contests/{created['id']}/publish", headers=ORGANISER)
    assert refused.status_code == 422 and refused.json()["closes_at"] == CLOSES.isoformat()


async def test_an_entry_without_consent_is_422_and_over_the_per_author_limit_is_409(
    client: httpx.AsyncClient,
) -> None:
    contest_id = await create_published_contest(
        client, rules={"max_entries_per_author_per_nomination": 1, "consent_required": True}
    )
    assert (await submit(client, contest_id, consent_to_personal_data=False)).status_code == 422
    assert (await submit(client, contest_id)).status_code == 201
    second = await submit(
        client, contest_id, title="Другая практика", authors=[author(full_name="Другое Имя")]
    )
    assert second.status_code == 409  # the same e-mail: the same person
    assert second.json()["limit"] == 1
    elsewhere = await submit(client, contest_id, title="Другая практика", nomination_code="idea-generator")
    assert elsewhere.status_code == 201


async def test_before_the_window_opens_an_entry_is_409_naming_the_opening(
    client: httpx.AsyncClient, clock: FixedClock
) -> None:
    clock.set(OPENS - timedelta(days=3))
    contest_id = await create_published_contest(client)
    early = await submit(client, contest_id)
    assert early.status_code == 409 and early.json()["opens_at"] == OPENS.isoformat()


async def test_an_unknown_contest_is_404(client: httpx.AsyncClient) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert (await submit(client, missing)).status_code == 404
    assert (await client.get(f"/contests/{missing}/statistics", headers=ORGANISER)).status_code == 404
