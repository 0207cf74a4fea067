"""What the hall screen reads: the contest's final found from the contest id, and a scoreboard that
names each finalist's nomination, keeps scores hidden until a defence ends, and shows places once the
final has closed."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from .judging_kit import FINAL, ORGANISER, REVIEW, bearer, declare, register_jury, score_everything
from .test_seed_contest_flow import close_resolving_ties


async def score(
    client: httpx.AsyncClient,
    contest: uuid.UUID,
    stage: dict[str, Any],
    jurors: list[dict[str, Any]],
    entry_ids: list[str],
) -> None:
    """Each juror's marks for those of `entry_ids` assigned to them (each a different total)."""
    base = f"/contests/{contest}/stages/{stage['id']}"
    for j, juror in enumerate(jurors):
        mine = {e["id"] for e in (await client.get(f"{base}/my-entries", headers=bearer(juror))).json()}
        for n, entry_id in enumerate(e for e in entry_ids if e in mine):
            marks = {"defence": (n * 3 + j) % 7 + 3, "impact": (n + j * 2) % 6 + 4}
            response = await client.put(
                f"{base}/entries/{entry_id}/my-score", json={"marks": marks}, headers=bearer(juror)
            )
            assert response.status_code == 200, response.text


async def test_the_hall_finds_the_final_and_shows_places_once_it_closes(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    contest = small_contest
    jurors = await register_jury(client, contest, 3)
    missing = await client.get(f"/contests/{contest}/final")
    assert missing.status_code == 404 and "no final" in missing.json()["detail"]
    assert (await client.get(f"/contests/{uuid.uuid4()}/final")).status_code == 404
    review, final = await declare(client, contest, REVIEW), await declare(client, contest, FINAL)
    found = await client.get(f"/contests/{contest}/final")
    assert found.json() == {"stage_id": final["id"], "name": "final", "status": "declared"}

    await client.post(f"/contests/{contest}/stages/{review['id']}/open", headers=ORGANISER)
    await score_everything(client, contest, review, jurors, seed=3)
    await close_resolving_ties(client, contest, review)
    opened = (await client.post(f"/contests/{contest}/stages/{final['id']}/open", headers=ORGANISER)).json()
    assert (await client.get(f"/contests/{contest}/final")).json()["status"] == "open"
    nominations = {
        e["id"]: e["nomination_code"] for e in (await client.get(f"/contests/{contest}/entries")).json()
    }

    base = f"/contests/{contest}/stages/{final['id']}"
    board = (await client.get(f"{base}/scoreboard")).json()
    assert (board["contest_id"], board["stage_id"], board["name"]) == (str(contest), final["id"], "final")
    assert [line["entry_id"] for line in board["entries"]] == opened["running_order"]
    assert all(line["nomination_code"] == nominations[line["entry_id"]] for line in board["entries"])
    assert all(line["place"] is None and line["mean"] is None for line in board["entries"])

    first = opened["running_order"][0]
    await client.post(f"{base}/defence/start", json={"entry_id": first}, headers=ORGANISER)
    await score(client, contest, opened, jurors, [first])
    during = (await client.get(f"{base}/scoreboard")).json()
    assert during["defending_entry_id"] == first and during["entries"][0]["mean"] is None
    for entry_id in opened["running_order"][1:]:
        await client.post(f"{base}/defence/start", json={"entry_id": entry_id}, headers=ORGANISER)
    await client.post(f"{base}/defence/end", headers=ORGANISER)
    await score(client, contest, opened, jurors, opened["running_order"][1:])
    before_close = (await client.get(f"{base}/scoreboard")).json()
    assert all(line["mean"] is not None and line["place"] is None for line in before_close["entries"])

    await close_resolving_ties(client, contest, final)
    closed = (await client.get(f"{base}/scoreboard")).json()
    assert closed["status"] == "closed"
    places = {line["entry_id"]: line["place"] for line in closed["entries"]}
    winners = {line["nomination_code"] for line in closed["entries"] if line["place"] == 1}
    assert winners == set(nominations.values()) and list(places.values()).count(1) == 3
    assert (await client.get(f"/contests/{contest}/final")).json()["status"] == "closed"
