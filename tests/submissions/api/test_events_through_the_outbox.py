"""Every change reaches the bus once, in order: through the outbox, relayed to a real Redis."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from kaleidoscope_shared.contracts import (
    ContestAnnounced,
    EntrySubmitted,
    EntryUpdated,
    EntryWithdrawn,
    Event,
    SubmissionsClosed,
)
from kaleidoscope_shared.sealing import unseal
from kaleidoscope_shared.worker import build_relay

from .conftest import ORGANISER, bearer, contest_body, submitted


async def relay_everything(app: FastAPI) -> None:
    relay = build_relay(app.state.submissions.runtime)
    while await relay.relay_once():
        pass


async def read_stream(redis: Redis, namespace: str, event: type[Event]) -> list[dict[str, Any]]:
    messages = await redis.xrange(event.stream(namespace))
    return [json.loads(fields[b"envelope"]) for _, fields in messages]


async def test_publishing_submitting_editing_withdrawing_and_closing_each_emit_one_event_in_order(
    app: FastAPI, client: httpx.AsyncClient, redis: Redis, namespace: str
) -> None:
    created = (await client.post("/contests", json=contest_body(), headers=ORGANISER)).json()
    contest_id = created["id"]
    await client.post(f"/contests/{contest_id}/publish", headers=ORGANISER)
    receipt = await submitted(client, contest_id)
    kept = await submitted(client, contest_id, title="Красная книга Чебулинского района")
    url, token = f"/entries/{receipt['id']}", bearer(receipt["token"])
    await client.patch(url, json={"annotation": "Новая аннотация"}, headers=token)
    await client.patch(url, json={"title": "Рюкзачок знаний: второе издание"}, headers=token)
    await client.request("DELETE", url, json={"reason": "Передумали"}, headers=token)
    assert (await client.post(f"/contests/{contest_id}/close", headers=ORGANISER)).status_code == 200
    await relay_everything(app)
    await relay_everything(app)  # nothing is sent twice

    announced = await read_stream(redis, namespace, ContestAnnounced)
    assert [e["payload"]["contest_id"] for e in announced] == [contest_id]
    assert announced[0]["contest_id"] == contest_id and announced[0]["producer"] == "submissions"
    submitted_events = await read_stream(redis, namespace, EntrySubmitted)
    assert [(e["payload"]["entry_id"], e["payload"]["revision"]) for e in submitted_events] == [
        (receipt["id"], 1),
        (kept["id"], 1),
    ]
    sealed_link = submitted_events[0]["payload"]["sealed_private_link"]  # the token never in clear
    assert submitted_events[0]["payload"]["private_link"] is None and receipt["token"] not in sealed_link
    assert (
        unseal(sealed_link, app.state.submissions.settings.link_key.get_secret_value())
        == (receipt["private_link"])
    )
    updated = await read_stream(redis, namespace, EntryUpdated)
    assert [e["payload"]["revision"] for e in updated] == [2, 3]
    assert updated[1]["payload"]["title"] == "Рюкзачок знаний: второе издание"
    withdrawn = await read_stream(redis, namespace, EntryWithdrawn)
    assert [(e["payload"]["revision"], e["payload"]["reason"]) for e in withdrawn] == [(4, "Передумали")]
    closed = await read_stream(redis, namespace, SubmissionsClosed)
    assert len(closed) == 1
    assert closed[0]["payload"]["closed_by"] == "organiser"
    assert closed[0]["payload"]["entries"] == [{"entry_id": kept["id"], "revision": 1}]


async def test_a_refused_change_emits_nothing(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str
) -> None:
    receipt = await submitted(client, contest_id)
    await client.patch(
        f"/entries/{receipt['id']}", json={"nomination_code": "nope"}, headers=bearer(receipt["token"])
    )
    await client.patch(f"/entries/{receipt['id']}", json={"title": "чужое"}, headers=bearer("wrong"))
    await relay_everything(app)
    assert len(await read_stream(redis, namespace, EntrySubmitted)) == 1
    assert await read_stream(redis, namespace, EntryUpdated) == []
