"""Scoring refusals a juror can meet, each a problem-details answer that says what was wrong, and
what a juror may see: only their entries, no authors in a blind stage, no one else's scores first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from .judging_kit import ORGANISER, REVIEW, bearer, declare, register_jury


async def open_review(client: httpx.AsyncClient, contest: uuid.UUID, **changes: Any) -> dict[str, Any]:
    stage = await declare(client, contest, {**REVIEW, **changes})
    response = await client.post(f"/contests/{contest}/stages/{stage['id']}/open", headers=ORGANISER)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def first_entry(
    client: httpx.AsyncClient, contest: uuid.UUID, stage: dict[str, Any], juror: dict[str, Any]
) -> dict[str, Any]:
    mine = await client.get(f"/contests/{contest}/stages/{stage['id']}/my-entries", headers=bearer(juror))
    assert mine.status_code == 200, mine.text
    return mine.json()[0]  # type: ignore[no-any-return]


def score_url(contest: uuid.UUID, stage: dict[str, Any], entry_id: str) -> str:
    return f"/contests/{contest}/stages/{stage['id']}/entries/{entry_id}/my-score"


GOOD = {"relevance": 8, "novelty": 7, "replicability": 6}


async def test_marks_out_of_range_or_missing_are_refused_listing_every_problem(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    stage = await open_review(client, small_contest)
    entry = await first_entry(client, small_contest, stage, juror)
    response = await client.put(
        score_url(small_contest, stage, entry["id"]),
        json={"marks": {"relevance": 11, "wit": 3}},
        headers=bearer(juror),
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problems = " ".join(response.json()["problems"])
    assert (
        "missing marks for novelty, replicability" in problems
        and "unknown criteria wit" in problems
        and "outside its scale" in problems
    )


async def test_a_juror_revises_a_score_until_the_close_and_then_cannot(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    stage = await open_review(client, small_contest)
    entry = await first_entry(client, small_contest, stage, juror)
    url = score_url(small_contest, stage, entry["id"])
    assert (await client.put(url, json={"marks": GOOD}, headers=bearer(juror))).json()["revision"] == 1
    revised = await client.put(url, json={"marks": {**GOOD, "novelty": 9}}, headers=bearer(juror))
    assert (
        revised.json()["revision"] == 2
        and (await client.get(url, headers=bearer(juror))).json()["marks"]["novelty"] == 9
    )
    await client.put(
        f"/contests/{small_contest}/stages/{stage['id']}/chair-ordering",
        json={"entry_ids": [entry["id"]]},
        headers=ORGANISER,
    )
    closed = await client.post(f"/contests/{small_contest}/stages/{stage['id']}/close", headers=ORGANISER)
    assert closed.status_code == 200, closed.text
    late = await client.put(url, json={"marks": GOOD}, headers=bearer(juror))
    assert late.status_code == 409 and "closed" in late.json()["detail"]


async def test_the_server_clock_stops_scores_at_the_deadline(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    stage = await open_review(
        client, small_contest, deadline=(datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    )
    entry = await first_entry(client, small_contest, stage, juror)
    response = await client.put(
        score_url(small_contest, stage, entry["id"]), json={"marks": GOOD}, headers=bearer(juror)
    )
    assert response.status_code == 409 and "deadline" in response.json()["detail"]


async def test_a_conflicted_juror_never_sees_nor_scores_the_entry(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    # Entry i's author works at "Library {i % 17}": this juror shares entry 0's library.
    response = await client.post(
        f"/contests/{small_contest}/jurors",
        json={"name": "Neighbour", "library": "library 0"},
        headers=ORGANISER,
    )
    neighbour = response.json()
    other = (
        await client.post(
            f"/contests/{small_contest}/jurors",
            json={"name": "Far away", "library": "Library 99"},
            headers=ORGANISER,
        )
    ).json()
    stage = await open_review(client, small_contest)
    entries = {e["title"]: e for e in (await client.get(f"/contests/{small_contest}/entries")).json()}
    conflicted = entries["Practice 00"]["id"]
    mine = [
        e["id"]
        for e in (
            await client.get(
                f"/contests/{small_contest}/stages/{stage['id']}/my-entries", headers=bearer(neighbour)
            )
        ).json()
    ]
    assert conflicted not in mine and len(mine) == 5
    refused = await client.put(
        score_url(small_contest, stage, conflicted), json={"marks": GOOD}, headers=bearer(neighbour)
    )
    assert refused.status_code == 403 and "same library" in refused.json()["detail"]
    assert (
        await client.put(
            score_url(small_contest, stage, conflicted), json={"marks": GOOD}, headers=bearer(other)
        )
    ).status_code == 200


async def test_a_recusal_drops_the_jurors_sheet_and_the_entry(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    juror, other = await register_jury(client, small_contest, 2)
    stage = await open_review(client, small_contest)
    entry = await first_entry(client, small_contest, stage, juror)
    url = score_url(small_contest, stage, entry["id"])
    assert (await client.put(url, json={"marks": GOOD}, headers=bearer(juror))).status_code == 200
    recused = await client.post(
        f"/contests/{small_contest}/recusals",
        json={"entry_id": entry["id"], "reason": "my former student"},
        headers=bearer(juror),
    )
    assert recused.status_code == 201 and recused.json()["source"] == "declared_by_juror"
    assert (await client.get(url, headers=bearer(juror))).status_code == 404, "the sheet no longer exists"
    refused = await client.put(url, json={"marks": GOOD}, headers=bearer(juror))
    assert refused.status_code == 403 and "my former student" in refused.json()["detail"]
    progress = (
        await client.get(f"/contests/{small_contest}/stages/{stage['id']}/progress", headers=ORGANISER)
    ).json()
    line = next(e for e in progress["entries"] if e["entry_id"] == entry["id"])
    assert line["assigned"] == 1 and line["missing_jurors"] == [other["id"]]


async def test_an_unassigned_entry_is_refused(client: httpx.AsyncClient, small_contest: uuid.UUID) -> None:
    jurors = (await register_jury(client, small_contest, 5))[2:]  # libraries 6, 9, 12: no conflicts
    stage = await open_review(
        client, small_contest, assignment={"mode": "jurors_per_entry", "k": 1, "cap_per_juror": 2}
    )
    theirs = {
        j["id"]: {
            e["id"]
            for e in (
                await client.get(
                    f"/contests/{small_contest}/stages/{stage['id']}/my-entries", headers=bearer(j)
                )
            ).json()
        }
        for j in jurors
    }
    first, second = jurors[0], jurors[1]
    not_mine = next(iter(theirs[second["id"]] - theirs[first["id"]]))
    refused = await client.put(
        score_url(small_contest, stage, not_mine), json={"marks": GOOD}, headers=bearer(first)
    )
    assert refused.status_code == 403 and "not assigned" in refused.json()["detail"]
    unknown = await client.put(
        score_url(small_contest, stage, str(uuid.uuid4())), json={"marks": GOOD}, headers=bearer(first)
    )
    assert unknown.status_code == 404


async def test_a_juror_sees_the_others_scores_only_after_scoring_and_never_their_names(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    first, second = await register_jury(client, small_contest, 2)
    stage = await open_review(client, small_contest)
    entry = await first_entry(client, small_contest, stage, first)
    jury_url = f"/contests/{small_contest}/stages/{stage['id']}/entries/{entry['id']}/jury-scores"
    await client.put(
        score_url(small_contest, stage, entry["id"]), json={"marks": GOOD}, headers=bearer(second)
    )
    assert (await client.get(jury_url, headers=bearer(first))).status_code == 404
    await client.put(
        score_url(small_contest, stage, entry["id"]),
        json={"marks": {**GOOD, "novelty": 2}},
        headers=bearer(first),
    )
    assert (await client.get(jury_url, headers=bearer(first))).json() == [GOOD]


async def test_a_blind_stage_hides_authors_and_libraries(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    stage = await open_review(client, small_contest, blind=True)
    entry = await first_entry(client, small_contest, stage, juror)
    assert entry["authors"] is None and entry["title"]


async def test_another_contests_juror_sees_nothing_of_this_contest(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    stage = await open_review(client, small_contest)
    elsewhere = uuid.uuid4()
    assert (
        await client.get(f"/contests/{elsewhere}/stages/{stage['id']}/my-entries", headers=bearer(juror))
    ).status_code == 404
    assert (
        await client.get(f"/contests/{elsewhere}/stages/{stage['id']}/progress", headers=ORGANISER)
    ).status_code == 404
    assert (
        await client.post(f"/contests/{elsewhere}/jurors", json={"name": "X"}, headers=ORGANISER)
    ).status_code == 404
