"""Builders for judging's service tests: the seed contest's events, a jury, stage declarations, and
an in-process worker that consumes real Redis streams."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from redis.asyncio import Redis

from judging.main import create_app, worker
from judging.settings import JudgingSettings
from kaleidoscope_shared.contracts import (
    AttachmentInfo,
    Author,
    ContestAnnounced,
    EntryRef,
    EntrySubmitted,
    Envelope,
    Event,
    Nomination,
    SubmissionsClosed,
    Territory,
)

ORGANISER = {"Authorization": "Bearer organiser-dev-token"}
NOMINATIONS = ("service-guide", "information-collection", "idea-generator")
TERRITORIES = [f"city-{i}" for i in range(10)] + [f"district-{i}" for i in range(9)]
START = datetime(2024, 3, 1, 9, tzinfo=UTC)


def settings_for(database_url: str, redis_url: str, namespace: str, **overrides: Any) -> JudgingSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "bus_namespace": namespace,
        "environment": "test",
        "reclaim_idle_ms": 200,
        "reclaim_interval_s": 0.1,
        "consumer_block_ms": 50,
        "scoreboard_poll_s": 0.05,
        "log_level": "WARNING",
    }
    return JudgingSettings(**{**values, **overrides})


def announced(contest_id: uuid.UUID, rules: list[str] | None = None) -> ContestAnnounced:
    return ContestAnnounced(
        contest_id=contest_id,
        title="Библиотечный калейдоскоп",
        nominations=[Nomination(code=c, title=c) for c in NOMINATIONS],
        territories=[Territory(code=t, name=t, kind="city_district") for t in TERRITORIES],
        submissions_open_at=START - timedelta(days=30),
        submissions_close_at=START + timedelta(days=30),
        conflict_rules=rules or ["same_library"],  # type: ignore[arg-type]
    )


def submitted(
    contest_id: uuid.UUID, i: int, entry_id: uuid.UUID | None = None, revision: int = 1
) -> EntrySubmitted:
    entry_id = entry_id or uuid.uuid4()
    return EntrySubmitted(
        entry_id=entry_id,
        contest_id=contest_id,
        revision=revision,
        nomination_code=NOMINATIONS[i % 3],
        title=f"Practice {i:02d}",
        annotation=f"How practice {i} brings readers back to the library.",
        authors=[
            Author(full_name=f"Author {i}", library=f"Library {i % 17}", territory_code=TERRITORIES[i % 19])
        ],
        submitted_at=START + timedelta(minutes=37 * i),
        links=[f"https://library-{i}.example.org/practice"],
        attachments=[
            AttachmentInfo(
                key=f"{entry_id}-poster",
                filename=f"poster {i}.pdf",
                media_type="application/pdf",
                size_bytes=10_000 + i,
            )
        ],
    )


def seed_events(contest_id: uuid.UUID, count: int = 34) -> list[Event]:
    """The seed's shape: an announced contest, 34 entries in 3 nominations, submissions closed."""
    entries = [submitted(contest_id, i) for i in range(count)]
    closed = SubmissionsClosed(
        contest_id=contest_id,
        closed_at=START + timedelta(days=30),
        closed_by="deadline",
        entries=[EntryRef(entry_id=e.entry_id, revision=e.revision) for e in entries],
    )
    return [announced(contest_id), *entries, closed]


async def publish(redis: Redis, namespace: str, *events: Event) -> None:
    """Put events on their streams as submissions' relay would."""
    for event in events:
        contest_id = getattr(event, "contest_id", None)
        envelope = Envelope.wrap(
            event, producer="submissions", contest_id=contest_id, correlation_id=uuid.uuid4()
        )
        await redis.xadd(envelope.stream(namespace), {"envelope": envelope.model_dump_json()})


async def stream_payloads(redis: Redis, namespace: str, event_type: str) -> list[dict[str, Any]]:
    """Every payload on a judging stream (what the relay published)."""
    rows = await redis.xrange(f"{namespace}.{event_type}.v1")
    return [json.loads(fields[b"envelope"])["payload"] for _, fields in rows]


@asynccontextmanager
async def running_worker(settings: JudgingSettings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(worker(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@asynccontextmanager
async def api(settings: JudgingSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://judging", timeout=30) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def juror_body(i: int, **overrides: Any) -> dict[str, Any]:
    return {
        "name": f"Juror {i}",
        "position": "expert",
        "library": f"Library {i * 3}",
        "territory_code": TERRITORIES[i % 19],
        "email": f"juror{i}@example.org",
        **overrides,
    }


async def register_jury(client: httpx.AsyncClient, contest_id: uuid.UUID, count: int) -> list[dict[str, Any]]:
    jurors = []
    for i in range(count):
        response = await client.post(f"/contests/{contest_id}/jurors", json=juror_body(i), headers=ORGANISER)
        assert response.status_code == 201, response.text
        jurors.append(response.json())
    return jurors


def bearer(juror: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {juror['token']}"}


REVIEW: dict[str, Any] = {
    "name": "review",
    "kind": "review",
    "criteria": [
        {"name": "relevance", "weight": 3, "scale_min": 0, "scale_max": 10},
        {"name": "novelty", "weight": 2, "scale_min": 0, "scale_max": 10},
        {"name": "replicability", "weight": 1, "scale_min": 0, "scale_max": 10},
    ],
    "advancement": {"rule": "top_per_nomination", "n": 3},
    "tie_breaks": ["higher_median", "more_top_marks", "earlier_submission"],
}
FINAL: dict[str, Any] = {
    "name": "final",
    "kind": "final",
    "criteria": [
        {"name": "defence", "weight": 1, "scale_min": 0, "scale_max": 10},
        {"name": "impact", "weight": 1, "scale_min": 0, "scale_max": 10},
    ],
    "advancement": {"rule": "places_per_nomination", "k": 1},
    "tie_breaks": ["higher_median", "more_top_marks", "earlier_submission"],
    "held_at": "2024-09-28T11:00:00+07:00",
    "venue": "Кемеровская областная научная библиотека им. В.Д. Фёдорова",
}


async def declare(client: httpx.AsyncClient, contest_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/contests/{contest_id}/stages", json=body, headers=ORGANISER)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def score_everything(
    client: httpx.AsyncClient,
    contest_id: uuid.UUID,
    stage: dict[str, Any],
    jurors: list[dict[str, Any]],
    seed: int,
) -> int:
    """Every juror scores every entry assigned to them with random marks; returns the sheets given."""
    rng, given = random.Random(seed), 0
    for juror in jurors:
        mine = await client.get(
            f"/contests/{contest_id}/stages/{stage['id']}/my-entries", headers=bearer(juror)
        )
        assert mine.status_code == 200, mine.text
        for entry in mine.json():
            marks = {c["name"]: rng.randint(3, 10) for c in stage["definition"]["criteria"]}
            response = await client.put(
                f"/contests/{contest_id}/stages/{stage['id']}/entries/{entry['id']}/my-score",
                json={"marks": marks},
                headers=bearer(juror),
            )
            assert response.status_code == 200, response.text
            given += 1
    return given
