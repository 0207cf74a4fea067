"""Submissions close by themselves at the deadline; with several workers racing, exactly one
SubmissionsClosed is emitted."""

from __future__ import annotations

import asyncio
import json

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from kaleidoscope_shared.contracts import SubmissionsClosed
from submissions.bootstrap import bootstrap
from submissions.domain import FixedClock
from submissions.main import worker
from submissions.service_layer.contests import close_due_submissions
from submissions.settings import SubmissionsSettings

from ..conftest import CLOSES
from .conftest import ORGANISER, bearer, submitted


async def closed_events(redis: Redis, namespace: str) -> list[dict[str, object]]:
    messages = await redis.xrange(SubmissionsClosed.stream(namespace))
    return [json.loads(fields[b"envelope"])["payload"] for _, fields in messages]


async def test_three_workers_close_a_due_contest_once_and_emit_one_submissions_closed(
    client: httpx.AsyncClient,
    contest_id: str,
    settings: SubmissionsSettings,
    clock: FixedClock,
    redis: Redis,
    namespace: str,
) -> None:
    entry = await submitted(client, contest_id)
    withdrawn = await submitted(client, contest_id, title="Отозванная")
    await client.request(
        "DELETE", f"/entries/{withdrawn['id']}", json={"reason": "x"}, headers=bearer(withdrawn["token"])
    )
    fast = settings.model_copy(update={"deadline_check_interval_s": 0.02, "create_tables": False})
    stop = asyncio.Event()
    workers = [asyncio.create_task(worker(fast, stop, clock=clock)) for _ in range(3)]
    try:
        await asyncio.sleep(0.3)
        assert await closed_events(redis, namespace) == []  # not before the deadline
        clock.set(CLOSES)
        for _ in range(200):
            if await closed_events(redis, namespace):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # many more ticks of every worker
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), timeout=15)
    events = await closed_events(redis, namespace)
    assert len(events) == 1
    assert events[0]["closed_by"] == "deadline"
    assert events[0]["entries"] == [{"entry_id": entry["id"], "revision": 1}]
    contest = (await client.get(f"/contests/{contest_id}", headers=ORGANISER)).json()
    assert contest["status"] == "submissions_closed"


async def test_schedulers_racing_on_separate_connections_close_the_contest_exactly_once(
    app: FastAPI, contest_id: str, settings: SubmissionsSettings, clock: FixedClock
) -> None:
    clock.set(CLOSES)
    runtimes = [bootstrap(settings, clock=clock) for _ in range(6)]
    try:
        results = await asyncio.gather(*(close_due_submissions(r.context) for r in runtimes))
    finally:
        await asyncio.gather(*(r.runtime.close() for r in runtimes))
    assert sum(len(closures) for closures in results) == 1
    async with app.state.submissions.runtime.engine.connect() as connection:
        outbox = app.state.submissions.runtime.tables.outbox
        rows = (
            await connection.execute(outbox.select().where(outbox.c.stream.like("%submissions-closed%")))
        ).all()
    assert len(rows) == 1


async def test_an_organiser_cannot_close_twice_nor_after_the_scheduler(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    first = await client.post(f"/contests/{contest_id}/close", headers=ORGANISER)
    second = await client.post(f"/contests/{contest_id}/close", headers=ORGANISER)
    assert (first.status_code, second.status_code) == (200, 409)
    assert second.json()["state"] == "submissions_closed"
