"""The contest's conflict rules (which conflicts of interest judging applies by itself: same library,
same territory) are set in its rules on POST and PATCH, default to the same library, and travel in
ContestAnnounced and ContestAmended, an amendment naming `conflict_rules` in `changed`."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from kaleidoscope_shared.contracts import ContestAmended, ContestAnnounced, Event

from .conftest import ORGANISER, contest_body
from .test_events_through_the_outbox import read_stream, relay_everything


async def payloads(app: FastAPI, redis: Redis, namespace: str, event: type[Event]) -> list[dict[str, Any]]:
    await relay_everything(app)
    return [envelope["payload"] for envelope in await read_stream(redis, namespace, event)]


def with_conflict_rules(*rules: str) -> dict[str, Any]:
    body = contest_body()
    body["rules"] = body["rules"] | {"conflict_rules": list(rules)}
    return body


async def test_a_contest_takes_its_conflict_rules_and_announces_them(
    app: FastAPI, client: httpx.AsyncClient, redis: Redis, namespace: str
) -> None:
    created = await client.post(
        "/contests",
        json=with_conflict_rules("same_territory", "same_library", "same_territory"),
        headers=ORGANISER,
    )
    assert created.status_code == 201, created.text
    contest = created.json()
    assert contest["rules"]["conflict_rules"] == ["same_library", "same_territory"], "each once, in order"
    plain = (await client.post("/contests", json=contest_body(), headers=ORGANISER)).json()
    assert plain["rules"]["conflict_rules"] == ["same_library"], "the default"
    for contest_id in (contest["id"], plain["id"]):
        assert (await client.post(f"/contests/{contest_id}/publish", headers=ORGANISER)).status_code == 200

    announced = {e["contest_id"]: e for e in await payloads(app, redis, namespace, ContestAnnounced)}
    assert announced[contest["id"]]["conflict_rules"] == ["same_library", "same_territory"]
    assert announced[plain["id"]]["conflict_rules"] == ["same_library"]
    fetched = (await client.get(f"/contests/{contest['id']}")).json()
    assert fetched["rules"]["conflict_rules"] == ["same_library", "same_territory"]


async def test_an_unknown_conflict_rule_is_a_422_at_its_place(client: httpx.AsyncClient) -> None:
    refused = await client.post("/contests", json=with_conflict_rules("same_street"), headers=ORGANISER)
    assert refused.status_code == 422
    assert [e["location"] for e in refused.json()["errors"]] == [["body", "rules", "conflict_rules", 0]]


async def test_changing_the_conflict_rules_is_an_amendment_that_names_them(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str
) -> None:
    url = f"/contests/{contest_id}"
    changed = await client.patch(
        url, json={"rules": {"conflict_rules": ["same_territory"]}}, headers=ORGANISER
    )
    assert changed.status_code == 200, changed.text
    rules = changed.json()["rules"]
    assert rules["conflict_rules"] == ["same_territory"]
    assert rules["max_entries_per_author_per_nomination"] == 2, "the other rules are kept"
    # closed early, the contest may still change the rules judging applies
    assert (await client.post(f"/contests/{contest_id}/close", headers=ORGANISER)).status_code == 200
    none = await client.patch(url, json={"rules": {"conflict_rules": []}}, headers=ORGANISER)
    assert none.status_code == 200, none.text
    again = await client.patch(url, json={"rules": {"conflict_rules": []}}, headers=ORGANISER)
    assert again.json()["revision"] == none.json()["revision"] == 3, "no change, no revision"

    events = await payloads(app, redis, namespace, ContestAmended)
    assert [(e["revision"], e["changed"], e["conflict_rules"]) for e in events] == [
        (2, ["conflict_rules"], ["same_territory"]),
        (3, ["conflict_rules"], []),
    ]
