"""The seed contest through judging's API and the bus: 34 entries, 3 nominations, the top 3 of each
advance (9 finalists), a public final names 3 winners, and every decision is explained and audited."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from typing import Any

import httpx
from redis.asyncio import Redis

from judging.settings import JudgingSettings

from ...polling import eventually
from .judging_kit import (
    FINAL,
    ORGANISER,
    REVIEW,
    bearer,
    declare,
    register_jury,
    score_everything,
    stream_payloads,
)


async def close(client: httpx.AsyncClient, contest_id: uuid.UUID, stage: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/contests/{contest_id}/stages/{stage['id']}/close", headers=ORGANISER)


async def close_resolving_ties(
    client: httpx.AsyncClient, contest_id: uuid.UUID, stage: dict[str, Any]
) -> None:
    response = await close(client, contest_id, stage)
    if response.status_code == 409 and "tied_entries" in response.json():
        tied = [e for group in response.json()["tied_entries"] for e in group]
        ordered = await client.put(
            f"/contests/{contest_id}/stages/{stage['id']}/chair-ordering",
            json={"entry_ids": tied},
            headers=ORGANISER,
        )
        assert ordered.status_code == 200, ordered.text
        response = await close(client, contest_id, stage)
    assert response.status_code == 200, response.text


async def test_the_seed_contest_advances_nine_finalists_and_names_three_winners(
    settings: JudgingSettings,
    client: httpx.AsyncClient,
    seed_contest: uuid.UUID,
    redis: Redis,
    namespace: str,
) -> None:
    contest = seed_contest
    jurors = await register_jury(client, contest, 7)
    review, final = await declare(client, contest, REVIEW), await declare(client, contest, FINAL)
    opened = await client.post(f"/contests/{contest}/stages/{review['id']}/open", headers=ORGANISER)
    assert opened.status_code == 200, opened.text
    assert await score_everything(client, contest, opened.json(), jurors, seed=4) > 0
    progress = (
        await client.get(f"/contests/{contest}/stages/{review['id']}/progress", headers=ORGANISER)
    ).json()
    assert progress["complete"] and len(progress["entries"]) == 34
    await close_resolving_ties(client, contest, review)

    results = (
        await client.get(f"/contests/{contest}/stages/{review['id']}/results", headers=ORGANISER)
    ).json()
    assert len(results) == 34 and all(r["reason"] for r in results)
    advanced = [r for r in results if r["advanced"]]
    assert len(advanced) == 9
    assert sorted({r["nomination_code"] for r in advanced}) == sorted(
        {"service-guide", "information-collection", "idea-generator"}
    )

    opened = await client.post(f"/contests/{contest}/stages/{final['id']}/open", headers=ORGANISER)
    assert opened.status_code == 200, opened.text
    final_stage = opened.json()
    assert sorted(final_stage["running_order"]) == sorted(r["entry_id"] for r in advanced)
    hall_screen = await run_the_defences(client, contest, final_stage, jurors)
    awards = {
        "places": [
            {
                "place": 1,
                "prizes": [
                    {
                        "kind": "cash",
                        "description": "Partnership prize",
                        "amount": "30000",
                        "currency": "RUB",
                    },
                    {"kind": "sponsor", "description": "Book set", "sponsor": "Publisher"},
                ],
            }
        ],
        "special_mentions": [
            {"entry_id": final_stage["running_order"][0], "text": "For the warmest defence"}
        ],
    }
    assert (
        await client.put(f"/contests/{contest}/stages/{final['id']}/awards", json=awards, headers=ORGANISER)
    ).status_code == 200
    await close_resolving_ties(client, contest, final)
    boards = scoreboard_events((await asyncio.wait_for(hall_screen, 10)).text)
    assert len(boards) >= 9 and boards[-1]["status"] == "closed"
    assert [line["mean"] is not None for line in boards[0]["entries"]] == [False] * 9
    assert all(line["mean"] is not None for line in boards[-1]["entries"])

    final_results = (
        await client.get(f"/contests/{contest}/stages/{final['id']}/results", headers=ORGANISER)
    ).json()
    assert sorted(r["nomination_code"] for r in final_results if r["place"] == 1) == sorted(
        ["service-guide", "information-collection", "idea-generator"]
    )
    assert all(r["reason"] for r in final_results)
    await the_bus_carries_the_decisions(
        redis, namespace, contest, [r["entry_id"] for r in final_results if r["place"] == 1]
    )
    verification = (await client.get(f"/contests/{contest}/audit/verification", headers=ORGANISER)).json()
    assert verification["intact"] and verification["records"] > 34 * 7


async def run_the_defences(
    client: httpx.AsyncClient, contest: uuid.UUID, stage: dict[str, Any], jurors: list[dict[str, Any]]
) -> asyncio.Task[httpx.Response]:
    """Each finalist defends in the running order while jurors score from their phones; the hall's
    scoreboard stream is left running and returned."""
    base = f"/contests/{contest}/stages/{stage['id']}"
    streamed = asyncio.create_task(client.get(f"{base}/scoreboard/stream"))
    assigned = {
        j["id"]: {e["id"] for e in (await client.get(f"{base}/my-entries", headers=bearer(j))).json()}
        for j in jurors
    }
    for n, entry_id in enumerate(stage["running_order"]):
        panel = [j for j in jurors if entry_id in assigned[j["id"]]]
        early = await client.put(
            f"{base}/entries/{entry_id}/my-score",
            json={"marks": {"defence": 5, "impact": 5}},
            headers=bearer(panel[0]),
        )
        assert early.status_code == 409, "no score before the defence starts"
        assert (
            await client.post(f"{base}/defence/start", json={"entry_id": entry_id}, headers=ORGANISER)
        ).status_code == 200
        for i, juror in enumerate(panel):
            marks = {"defence": (n * 3 + i) % 7 + 3, "impact": (n + i * 2) % 6 + 4}
            scored = await client.put(
                f"{base}/entries/{entry_id}/my-score", json={"marks": marks}, headers=bearer(juror)
            )
            assert scored.status_code == 200, scored.text
        board = (await client.get(f"{base}/scoreboard")).json()
        line = next(e for e in board["entries"] if e["entry_id"] == entry_id)
        assert board["defending_entry_id"] == entry_id and line["mean"] is None, (
            "hidden until the defence ends"
        )
        assert (await client.post(f"{base}/defence/end", headers=ORGANISER)).status_code == 200
        line = next(
            e for e in (await client.get(f"{base}/scoreboard")).json()["entries"] if e["entry_id"] == entry_id
        )
        assert line["sheets"] == len(panel) >= 5 and line["mean"] is not None
    await asyncio.sleep(0.2)
    assert not streamed.done(), "the stream runs until the final closes"
    return streamed


def scoreboard_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[len("data: ") :]) for line in text.splitlines() if line.startswith("data: ")]


async def the_bus_carries_the_decisions(
    redis: Redis, namespace: str, contest: uuid.UUID, winners: list[str]
) -> None:
    async def published() -> bool:
        return len(await stream_payloads(redis, namespace, "contest-finished")) == 1

    await eventually(published, what="ContestFinished on the bus")
    closed = await stream_payloads(redis, namespace, "stage-closed")
    assert [c["name"] for c in closed] == ["review", "final"] and closed[1]["is_last"]
    # the review's closing tells the finalists when and where the final's public defence is held
    assert datetime.fromisoformat(closed[0]["final_date"]) == datetime.fromisoformat(FINAL["held_at"])
    assert closed[0]["final_place"] == FINAL["venue"]
    assert closed[1]["final_date"] is None
    declared = await stream_payloads(redis, namespace, "winner-declared")
    assert len(declared) == 3
    assert sorted(p["entry_id"] for d in declared for p in d["placements"]) == sorted(winners)
    prizes = [z["kind"] for d in declared for p in d["placements"] for z in p["prizes"]]
    assert prizes.count("cash") == 3 and prizes.count("sponsor") == 3
    assert sum(len(d["special_mentions"]) for d in declared) == 1
    finished = (await stream_payloads(redis, namespace, "contest-finished"))[0]
    assert len(finished["participant_entry_ids"]) == 34 and sorted(finished["winner_entry_ids"]) == sorted(
        winners
    )
    assert len(await stream_payloads(redis, namespace, "stage-opened")) == 2
    assert len(await stream_payloads(redis, namespace, "juror-assigned")) == 2 * 7
