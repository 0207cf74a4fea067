"""Organisers change a contest after creating it: a draft freely; a published one as its next revision
(ContestAmended), never taking a code from under its entries; the deadline moved while submissions
are open; and after an early close, a refusal that says the organisers closed submissions."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from kaleidoscope_shared.contracts import ContestAmended
from submissions.domain import FixedClock
from submissions.service_layer.contests import close_due_submissions

from ..conftest import CLOSES, DURING, OPENS
from .conftest import ORGANISER, bearer, contest_body, submit, submitted
from .test_events_through_the_outbox import relay_everything


async def amended_events(app: FastAPI, redis: Redis, namespace: str) -> list[dict[str, Any]]:
    await relay_everything(app)
    messages = await redis.xrange(ContestAmended.stream(namespace))
    return [json.loads(fields[b"envelope"])["payload"] for _, fields in messages]


async def patch(client: httpx.AsyncClient, contest_id: str, body: dict[str, Any]) -> httpx.Response:
    return await client.patch(f"/contests/{contest_id}", json=body, headers=ORGANISER)


async def move(
    client: httpx.AsyncClient, contest_id: str, closes_at: Any, reason: str = ""
) -> httpx.Response:
    body = {"submissions_close_at": closes_at.isoformat(), "reason": reason}
    return await client.post(f"/contests/{contest_id}/deadline", json=body, headers=ORGANISER)


async def test_a_draft_changes_in_any_way_and_tells_nobody(
    app: FastAPI, client: httpx.AsyncClient, redis: Redis, namespace: str
) -> None:
    draft = (await client.post("/contests", json=contest_body(), headers=ORGANISER)).json()
    changed = await patch(
        client,
        draft["id"],
        {
            "title": "Калейдоскоп-2025",
            "nominations": [{"code": "new-media", "title": "Новые медиа"}],
            "window": {"closes_at": (CLOSES + timedelta(days=30)).isoformat()},
            "rules": {"documents": {"full_title": "Областной конкурс «Калейдоскоп»"}},
        },
    )
    assert changed.status_code == 200, changed.text
    contest = changed.json()
    assert contest["title"] == "Калейдоскоп-2025" and contest["revision"] == 1
    assert [n["code"] for n in contest["nominations"]] == ["new-media"]
    assert contest["window"]["opens_at"] == OPENS.isoformat()  # the other end kept
    assert contest["rules"]["max_entries_per_author_per_nomination"] == 2  # merged, not reset
    assert contest["rules"]["documents"]["full_title"] == "Областной конкурс «Калейдоскоп»"
    assert (await client.get(f"/contests/{draft['id']}", headers=ORGANISER)).json() == contest
    assert await amended_events(app, redis, namespace) == []


async def test_a_published_contest_changes_as_its_next_revision_and_contest_amended_says_what_changed(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str
) -> None:
    first = await patch(
        client,
        contest_id,
        {"title": "Калейдоскоп", "rules": {"documents": {"signatories": [{"name": "И. И. Иванова"}]}}},
    )
    assert first.status_code == 200, first.text
    assert first.json()["revision"] == 2
    unchanged = await patch(client, contest_id, {"title": "Калейдоскоп"})
    assert unchanged.json()["revision"] == 2  # nothing changed: no new revision
    second = await patch(client, contest_id, {"contact": "тел. 44-18-69"})
    assert second.json()["revision"] == 3
    assert (await client.get(f"/contests/{contest_id}")).json()["revision"] == 3

    events = await amended_events(app, redis, namespace)
    assert [(e["revision"], e["changed"]) for e in events] == [
        (2, ["title", "signatories"]),
        (3, ["contact"]),
    ]
    assert events[0]["title"] == "Калейдоскоп" and events[0]["signatories"] == [
        {"name": "И. И. Иванова", "position": ""}
    ]
    assert events[1]["contact"] == "тел. 44-18-69" and events[1]["previous_submissions_close_at"] is None
    assert [n["code"] for n in events[1]["nominations"]] == ["service-guide", "idea-generator"]


async def test_a_nomination_or_territory_with_entries_keeps_its_code_409_names_what_blocks(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str
) -> None:
    await submitted(client, contest_id)
    await submitted(client, contest_id, title="Вторая практика")
    gone = await submitted(client, contest_id, title="Отозванная", nomination_code="idea-generator")
    await client.request(
        "DELETE", f"/entries/{gone['id']}", json={"reason": "x"}, headers=bearer(gone["token"])
    )
    body = contest_body()

    renamed_code = [{"code": "guide", "title": "Сервис гид"}, body["nominations"][1]]
    refused = await patch(client, contest_id, {"nominations": renamed_code})
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["blocking"] == [{"nomination_code": "service-guide", "entries": 2}]
    assert "service-guide" in refused.json()["detail"]

    territories = [body["territories"][1]]  # belovo-city, where the authors are, removed
    refused = await patch(client, contest_id, {"territories": territories})
    assert refused.status_code == 409
    assert refused.json()["blocking"] == [{"territory_code": "belovo-city", "entries": 2}]
    rekinded = [body["territories"][0] | {"kind": "municipal_district"}, body["territories"][1]]
    assert (await patch(client, contest_id, {"territories": rekinded})).json()["blocking"] == [
        {"territory_code": "belovo-city", "entries": 2}
    ]

    # its title and description may change; a nomination with only withdrawn entries may go
    retitled = [
        {"code": "service-guide", "title": "Сервис-гид", "description": "Путеводители по услугам"},
    ]
    allowed = await patch(client, contest_id, {"nominations": retitled})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["nominations"] == [retitled[0] | {"title_en": "", "description_en": ""}]
    events = await amended_events(app, redis, namespace)
    assert [(e["revision"], e["changed"]) for e in events] == [(2, ["nominations"])]


async def test_a_change_leaving_an_invalid_contest_or_a_past_deadline_is_422(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    backwards = await patch(
        client, contest_id, {"window": {"closes_at": (OPENS - timedelta(days=1)).isoformat()}}
    )
    assert backwards.status_code == 422, backwards.text
    past = await patch(
        client, contest_id, {"window": {"closes_at": (DURING - timedelta(hours=1)).isoformat()}}
    )
    assert past.status_code == 422, past.text
    assert past.json()["errors"][0]["location"] == ["body", "window", "closes_at"]
    unknown = await patch(client, contest_id, {"status": "draft"})
    assert unknown.status_code == 422
    assert (await client.get(f"/contests/{contest_id}")).json()["revision"] == 1


async def test_the_deadline_moves_while_open_and_contest_amended_carries_the_old_one_and_the_reason(
    app: FastAPI,
    client: httpx.AsyncClient,
    contest_id: str,
    clock: FixedClock,
    redis: Redis,
    namespace: str,
) -> None:
    later = CLOSES + timedelta(days=14)
    moved = await move(client, contest_id, later, "Продлеваем по просьбам библиотек")
    assert moved.status_code == 200, moved.text
    assert moved.json()["window"]["closes_at"] == later.isoformat() and moved.json()["revision"] == 2
    clock.set(CLOSES + timedelta(days=1))  # past the old deadline, before the new one
    assert (await submit(client, contest_id)).status_code == 201

    events = await amended_events(app, redis, namespace)
    assert len(events) == 1
    assert events[0]["changed"] == ["submissions_close_at"]
    assert events[0]["revision"] == 2
    assert events[0]["reason"] == "Продлеваем по просьбам библиотек"
    assert events[0]["previous_submissions_close_at"] == CLOSES.isoformat()
    assert events[0]["submissions_close_at"] == later.isoformat()


async def test_a_deadline_in_the_past_or_before_opening_is_422_and_a_closed_contest_409(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    past = await move(client, contest_id, DURING - timedelta(minutes=1))
    assert past.status_code == 422, past.text
    assert past.json()["field"] == "submissions_close_at"
    assert past.json()["errors"][0]["location"] == ["body", "submissions_close_at"]
    assert "already past" in past.json()["detail"]
    before_opening = await move(client, contest_id, OPENS - timedelta(days=1))
    assert before_opening.status_code == 422
    assert "not after the window opens" in before_opening.json()["detail"]
    naive = await client.post(
        f"/contests/{contest_id}/deadline",
        json={"submissions_close_at": "2024-08-01T00:00:00"},
        headers=ORGANISER,
    )
    assert naive.status_code == 422

    draft = (await client.post("/contests", json=contest_body(), headers=ORGANISER)).json()
    assert (await move(client, draft["id"], CLOSES + timedelta(days=1))).status_code == 409
    await client.post(f"/contests/{contest_id}/close", headers=ORGANISER)
    closed = await move(client, contest_id, CLOSES + timedelta(days=1))
    assert closed.status_code == 409, closed.text
    assert (await client.get(f"/contests/{contest_id}")).json()["revision"] == 1


async def test_the_scheduler_closes_at_the_moved_deadline(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    ctx = app.state.submissions.context
    sooner = DURING + timedelta(days=2)
    assert (await move(client, contest_id, sooner)).status_code == 200
    clock.set(sooner - timedelta(seconds=1))
    assert await close_due_submissions(ctx) == []
    clock.set(sooner)
    assert [c.contest_id for c in await close_due_submissions(ctx)] == [uuid.UUID(contest_id)]

    other = (await client.post("/contests", json=contest_body(), headers=ORGANISER)).json()["id"]
    clock.set(DURING)
    await client.post(f"/contests/{other}/publish", headers=ORGANISER)
    assert (await move(client, other, CLOSES + timedelta(days=7))).status_code == 200
    clock.set(CLOSES)  # the old deadline: no longer due
    assert await close_due_submissions(ctx) == []


async def test_after_an_early_close_a_submission_or_edit_is_refused_as_closed_by_the_organisers(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    entry = await submitted(client, contest_id)
    assert (await client.post(f"/contests/{contest_id}/close", headers=ORGANISER)).status_code == 200
    refused = await submit(client, contest_id, title="Опоздавшая")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"].endswith("submissions-closed")
    assert "closed by the organisers" in problem["detail"] and "deadline" not in problem["title"].lower()
    edit = await client.patch(
        f"/entries/{entry['id']}", json={"annotation": "x"}, headers=bearer(entry["token"])
    )
    assert edit.status_code == 409 and edit.json()["type"].endswith("submissions-closed")


async def test_after_the_deadline_the_refusal_says_the_deadline_passed(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    clock.set(CLOSES)
    late = await submit(client, contest_id)
    assert late.status_code == 409 and late.json()["type"].endswith("deadline-passed")
    await close_due_submissions(app.state.submissions.context)
    closed = await submit(client, contest_id)
    assert closed.status_code == 409
    assert closed.json()["type"].endswith("deadline-passed")
    assert "deadline" in closed.json()["detail"]
