"""What the web front's juror pages read: the juror's stages with their own progress and what they may
score now, and an assigned entry whole (files by grant) — and nothing of entries that are not theirs."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from judging.settings import JudgingSettings
from kaleidoscope_shared.grants import ENTRY_FILE, check_grant

from .judging_kit import FINAL, ORGANISER, REVIEW, bearer, declare, register_jury, score_everything
from .test_seed_contest_flow import close_resolving_ties

DESCRIBED_REVIEW: dict[str, Any] = {
    **REVIEW,
    "criteria": [
        {**REVIEW["criteria"][0], "description": "Does it answer what readers of the territory need?"},
        *REVIEW["criteria"][1:],
    ],
}


async def my_stages(client: httpx.AsyncClient, contest: uuid.UUID, juror: dict[str, Any]) -> list[Any]:
    response = await client.get(f"/contests/{contest}/my-stages", headers=bearer(juror))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def my_entry_ids(
    client: httpx.AsyncClient, contest: uuid.UUID, stage_id: str, juror: dict[str, Any]
) -> list[str]:
    response = await client.get(f"/contests/{contest}/stages/{stage_id}/my-entries", headers=bearer(juror))
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()]


def entry_url(contest: uuid.UUID, stage_id: str, entry_id: str) -> str:
    return f"/contests/{contest}/stages/{stage_id}/entries/{entry_id}"


async def test_my_stages_lists_every_stage_with_its_criteria_and_the_jurors_own_progress(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    juror, _ = await register_jury(client, small_contest, 2)
    deadline = datetime.now(UTC) + timedelta(days=3)
    review = await declare(client, small_contest, {**DESCRIBED_REVIEW, "deadline": deadline.isoformat()})
    await declare(client, small_contest, FINAL)

    declared = await my_stages(client, small_contest, juror)
    assert [(s["name"], s["kind"], s["status"]) for s in declared] == [
        ("review", "review", "declared"),
        ("final", "final", "declared"),
    ]
    first = declared[0]
    assert first["criteria"][0] == {
        "name": "relevance",
        "description": "Does it answer what readers of the territory need?",
        "weight": 3,
        "scale_min": 0,
        "scale_max": 10,
    }
    assert datetime.fromisoformat(first["deadline"]) == deadline and first["blind"] is False
    assert (first["assigned"], first["scored"], first["scoring_allowed"]) == (0, 0, False)
    assert "declared" in first["scoring_note"]

    assert (
        await client.post(f"/contests/{small_contest}/stages/{review['id']}/open", headers=ORGANISER)
    ).status_code == 200
    mine = await my_entry_ids(client, small_contest, review["id"], juror)
    assert len(mine) == 5, "juror 0 shares entry 0's library"
    scored = await client.put(
        f"{entry_url(small_contest, review['id'], mine[0])}/my-score",
        json={"marks": {"relevance": 7, "novelty": 6, "replicability": 5}},
        headers=bearer(juror),
    )
    assert scored.status_code == 200, scored.text
    opened, final = await my_stages(client, small_contest, juror)
    assert (opened["status"], opened["assigned"], opened["scored"]) == ("open", 5, 1)
    assert opened["scoring_allowed"] and opened["scoring_note"] is None
    assert sorted(opened["scorable_entry_ids"]) == sorted(mine)
    assert opened["defending_entry_id"] is None and opened["defended_entry_ids"] == []
    assert final["status"] == "declared" and final["assigned"] == 0


async def test_a_stage_past_its_deadline_says_why_scoring_stopped(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    passed = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    review = await declare(client, small_contest, {**REVIEW, "deadline": passed})
    await client.post(f"/contests/{small_contest}/stages/{review['id']}/open", headers=ORGANISER)
    [stage] = await my_stages(client, small_contest, juror)
    assert stage["status"] == "open" and stage["assigned"] == 5
    assert not stage["scoring_allowed"] and stage["scorable_entry_ids"] == []
    assert "deadline" in stage["scoring_note"]


async def test_an_assigned_entry_is_read_whole_with_a_short_grant_per_file(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    review = await declare(client, small_contest, REVIEW)
    await client.post(f"/contests/{small_contest}/stages/{review['id']}/open", headers=ORGANISER)
    entry_id = (await my_entry_ids(client, small_contest, review["id"], juror))[0]
    before = time.time()
    response = await client.get(entry_url(small_contest, review["id"], entry_id), headers=bearer(juror))
    assert response.status_code == 200, response.text
    entry = response.json()
    i = int(entry["title"].removeprefix("Practice "))
    assert entry["id"] == entry_id and entry["stage_id"] == review["id"]
    assert entry["annotation"] == f"How practice {i} brings readers back to the library."
    assert entry["links"] == [f"https://library-{i}.example.org/practice"]
    assert entry["authors"] == [
        {
            "full_name": f"Author {i}",
            "library": f"Library {i % 17}",
            "territory_code": entry["authors"][0]["territory_code"],
        }
    ]
    assert (entry["scored"], entry["withdrawn"]) == (False, False)
    [attachment] = entry["attachments"]
    key = f"{entry_id}-poster"
    assert {k: v for k, v in attachment.items() if k != "grant"} == {
        "key": key,
        "filename": f"poster {i}.pdf",
        "media_type": "application/pdf",
        "size_bytes": 10_000 + i,
    }
    grant = check_grant(
        settings.grant_key.get_secret_value(), attachment["grant"], ENTRY_FILE, f"{entry_id}:{key}"
    )
    assert before + 900 - 5 <= grant.expires <= time.time() + 900


async def test_a_blind_stage_shows_the_entry_without_its_authors(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    review = await declare(client, small_contest, {**REVIEW, "blind": True})
    await client.post(f"/contests/{small_contest}/stages/{review['id']}/open", headers=ORGANISER)
    [stage] = await my_stages(client, small_contest, juror)
    assert stage["blind"] is True
    entry_id = (await my_entry_ids(client, small_contest, review["id"], juror))[0]
    entry = (await client.get(entry_url(small_contest, review["id"], entry_id), headers=bearer(juror))).json()
    assert entry["authors"] is None and entry["annotation"] and entry["attachments"]


async def test_entries_not_the_jurors_are_one_and_the_same_404(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    juror, other = await register_jury(client, small_contest, 2)
    review = await declare(client, small_contest, REVIEW)
    await client.post(f"/contests/{small_contest}/stages/{review['id']}/open", headers=ORGANISER)
    by_title = {e["title"]: e["id"] for e in (await client.get(f"/contests/{small_contest}/entries")).json()}
    automatic = by_title["Practice 00"]  # juror 0 works at the author's library
    recused = by_title["Practice 01"]
    assert (
        await client.post(
            f"/contests/{small_contest}/recusals",
            json={"entry_id": recused, "reason": "I advised the authors"},
            headers=bearer(juror),
        )
    ).status_code == 201
    assert automatic in await my_entry_ids(client, small_contest, review["id"], other)
    for entry_id in (automatic, recused, str(uuid.uuid4())):
        answer = await client.get(entry_url(small_contest, review["id"], entry_id), headers=bearer(juror))
        assert answer.status_code == 404
        assert answer.json()["detail"] == f"No entry {entry_id} is assigned to you in stage 'review'."
    [stage] = await my_stages(client, small_contest, juror)
    assert stage["assigned"] == 4


async def test_an_entry_is_read_only_while_its_stage_is_open(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    review = await declare(client, small_contest, REVIEW)
    entry_id = (await client.get(f"/contests/{small_contest}/entries")).json()[-1]["id"]
    url = entry_url(small_contest, review["id"], entry_id)
    early = await client.get(url, headers=bearer(juror))
    assert early.status_code == 409 and "has not opened" in early.json()["detail"]
    await client.post(f"/contests/{small_contest}/stages/{review['id']}/open", headers=ORGANISER)
    await score_everything(client, small_contest, review, [juror], seed=1)
    assert (await client.get(url, headers=bearer(juror))).json()["scored"] is True
    await close_resolving_ties(client, small_contest, review)
    late = await client.get(url, headers=bearer(juror))
    assert late.status_code == 409 and "is closed" in late.json()["detail"]
    assert late.headers["content-type"].startswith("application/problem+json")
    unknown_stage = await client.get(
        entry_url(small_contest, str(uuid.uuid4()), entry_id), headers=bearer(juror)
    )
    assert unknown_stage.status_code == 404


async def test_a_final_lets_jurors_score_only_entries_defending_or_defended(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    jurors = await register_jury(client, small_contest, 3)
    review, final = await declare(client, small_contest, REVIEW), await declare(client, small_contest, FINAL)
    await client.post(f"/contests/{small_contest}/stages/{review['id']}/open", headers=ORGANISER)
    await score_everything(client, small_contest, review, jurors, seed=2)
    await close_resolving_ties(client, small_contest, review)
    opened = await client.post(f"/contests/{small_contest}/stages/{final['id']}/open", headers=ORGANISER)
    juror = jurors[1]
    mine = await my_entry_ids(client, small_contest, final["id"], juror)
    first = next(e for e in opened.json()["running_order"] if e in mine)

    _, waiting = await my_stages(client, small_contest, juror)
    assert (waiting["status"], waiting["assigned"], waiting["scoring_allowed"]) == ("open", len(mine), False)
    assert waiting["defending_entry_id"] is None and "defence" in waiting["scoring_note"]

    base = f"/contests/{small_contest}/stages/{final['id']}"
    await client.post(f"{base}/defence/start", json={"entry_id": first}, headers=ORGANISER)
    _, defending = await my_stages(client, small_contest, juror)
    assert defending["defending_entry_id"] == first and defending["scoring_allowed"]
    assert defending["scorable_entry_ids"] == [first] and defending["scoring_note"] is None
    await client.post(f"{base}/defence/end", headers=ORGANISER)
    _, ended = await my_stages(client, small_contest, juror)
    assert ended["defending_entry_id"] is None and ended["defended_entry_ids"] == [first]
    assert ended["scorable_entry_ids"] == [first]
    content = await client.get(entry_url(small_contest, final["id"], first), headers=bearer(juror))
    assert content.status_code == 200 and content.json()["id"] == first
