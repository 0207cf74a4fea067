"""Judging as 3 API processes and 3 workers on PostgreSQL: 50 jurors scoring at once lose no score,
two closes racing on different replicas publish one StageClosed, and a worker killed while events
flow loses nothing."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis as redis_sync
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from judging.adapters.tables import BUS_TABLES, AuditRow, ContestCopy, EntryCopy, ScoreRow

from ...conftest import database_urls_for_processes, postgres_available
from ...polling import wait_until
from .judging_kit import ORGANISER, REVIEW, juror_body, publish, seed_events
from .replicas import JudgingReplicas

pytestmark = pytest.mark.slow
JURORS, ENTRIES = 50, 12


@pytest.fixture
def replicas(tmp_path: Path, redis_url: str, namespace: str) -> Any:
    if not postgres_available():
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    [database_url] = database_urls_for_processes(tmp_path, 1, "postgresql")
    running = JudgingReplicas(database_url, redis_url, namespace, tmp_path / "logs").start()
    yield running
    running.stop()


def scalar(database_url: str, query: Any) -> Any:
    async def run() -> Any:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.scalar(query)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_three_replicas_score_close_once_and_survive_a_killed_worker(
    replicas: JudgingReplicas, redis_url: str, namespace: str
) -> None:
    contest = uuid.uuid4()
    asyncio.run(_publish(redis_url, namespace, seed_events(contest, count=ENTRIES)))
    closed = (
        select(func.count())
        .select_from(ContestCopy)
        .where(ContestCopy.id == contest, ContestCopy.submissions_closed)
    )
    wait_until(lambda: scalar(replicas.database_url, closed) == 1, 60, "judging to take in the seed contest")
    urls = replicas.urls()
    stage, jurors = asyncio.run(_jury_and_stage(urls, contest))

    accepted = asyncio.run(_score_concurrently(urls, contest, stage, jurors))
    sheets = select(func.count()).select_from(ScoreRow).where(ScoreRow.stage_id == uuid.UUID(stage["id"]))
    assert scalar(replicas.database_url, sheets) == accepted == _assigned(jurors)
    audit_rows = select(func.count()).select_from(AuditRow).where(AuditRow.contest_id == contest)
    assert scalar(replicas.database_url, audit_rows) == JURORS + 2 + accepted

    answers = _close_from_two_replicas(urls[0], urls[1], f"/contests/{contest}/stages/{stage['id']}/close")
    assert sorted(answers) == [200, 409]
    _kill_a_worker_while_entries_flow(replicas, redis_url, namespace)
    closes = _stream(redis_url, f"{namespace}.stage-closed.v1")
    assert len(closes) == 1 and closes[0]["contest_id"] == str(contest)


async def _publish(redis_url: str, namespace: str, events: list[Any]) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        await publish(client, namespace, *events)
    finally:
        await client.aclose()


async def _jury_and_stage(urls: list[str], contest: uuid.UUID) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    async with httpx.AsyncClient(timeout=30) as client:
        jurors = []
        for i in range(JURORS):
            body = juror_body(i, library=f"Juror library {i}")
            response = await client.post(
                f"{urls[i % 3]}/contests/{contest}/jurors", json=body, headers=ORGANISER
            )
            assert response.status_code == 201, response.text
            jurors.append(response.json())
        stage = (
            await client.post(f"{urls[0]}/contests/{contest}/stages", json=REVIEW, headers=ORGANISER)
        ).json()
        opened = await client.post(
            f"{urls[1]}/contests/{contest}/stages/{stage['id']}/open", headers=ORGANISER
        )
        assert opened.status_code == 200, opened.text
        for juror in jurors:
            mine = await client.get(
                f"{urls[2]}/contests/{contest}/stages/{stage['id']}/my-entries",
                headers={"Authorization": f"Bearer {juror['token']}"},
            )
            juror["entries"] = [e["id"] for e in mine.json()]
        return opened.json(), jurors


def _assigned(jurors: list[dict[str, Any]]) -> int:
    return sum(len(j["entries"]) for j in jurors)


async def _score_concurrently(
    urls: list[str], contest: uuid.UUID, stage: dict[str, Any], jurors: list[dict[str, Any]]
) -> int:
    limits = httpx.Limits(max_connections=60)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def one_juror(index: int, juror: dict[str, Any]) -> int:
            rng, done = random.Random(index), 0
            for entry_id in juror["entries"]:
                marks = {c["name"]: rng.randint(0, 10) for c in stage["definition"]["criteria"]}
                url = f"{urls[(index + done) % 3]}/contests/{contest}/stages/{stage['id']}/entries/{entry_id}/my-score"
                response = await client.put(
                    url, json={"marks": marks}, headers={"Authorization": f"Bearer {juror['token']}"}
                )
                assert response.status_code == 200, response.text
                done += 1
            return done

        return sum(await asyncio.gather(*(one_juror(i, j) for i, j in enumerate(jurors))))


def _close_from_two_replicas(first: str, second: str, path: str) -> list[int]:
    barrier, answers = threading.Barrier(2), []

    def close(base: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            barrier.wait()
            answers.append(client.post(path, headers=ORGANISER).status_code)

    threads = [threading.Thread(target=close, args=(url,)) for url in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _kill_a_worker_while_entries_flow(replicas: JudgingReplicas, redis_url: str, namespace: str) -> None:
    assert replicas.group is not None
    other, total = uuid.uuid4(), 0
    for batch in range(6):
        events = seed_events(other, count=100)[1:-1] if batch else seed_events(other, count=100)[:-1]
        asyncio.run(_publish(redis_url, namespace, [_renumbered(e) for e in events]))
        total += 100
        if batch % 2 == 1:
            replicas.group.kill("judging-worker-1")  # kill -9 while events flow
            replicas.group.start(replicas.worker_spec(1))
    entries = select(func.count()).select_from(EntryCopy).where(EntryCopy.contest_id == other)
    wait_until(lambda: scalar(replicas.database_url, entries) == total, 120, "every entry after the kills")
    inbox = BUS_TABLES.inbox
    applied = select(func.count()).select_from(inbox).where(inbox.c.event_type == "entry-submitted")
    assert scalar(replicas.database_url, applied) == total + ENTRIES, "each event applied exactly once"
    outbox = BUS_TABLES.outbox
    wait_until(
        lambda: (
            scalar(
                replicas.database_url,
                select(func.count()).select_from(outbox).where(outbox.c.status != "sent"),
            )
            == 0
        ),
        60,
        "the relay to publish everything",
    )


def _renumbered(event: Any) -> Any:
    return event.model_copy(update={"entry_id": uuid.uuid4()}) if hasattr(event, "entry_id") else event


def _stream(redis_url: str, stream: str) -> list[dict[str, Any]]:
    client = redis_sync.Redis.from_url(redis_url)
    try:
        return [json.loads(fields[b"envelope"])["payload"] for _, fields in client.xrange(stream)]
    finally:
        client.close()
