"""Closing a final decides every nomination of the contest: one WinnerDeclared per nomination, also for
one nobody reached the final in (no placements: no winner), then ContestFinished repeating every
nomination's outcome, all staged in the closing's transaction in that order; so a consumer holding
ContestFinished holds the complete results, whichever of the streams it reads first."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from judging.adapters.tables import BUS_TABLES
from judging.bootstrap import bootstrap
from judging.settings import JudgingSettings
from kaleidoscope_shared.contracts import Nomination

from ...polling import eventually
from .conftest import contest_is_closed
from .judging_kit import (
    FINAL,
    NOMINATIONS,
    ORGANISER,
    announced,
    declare,
    publish,
    register_jury,
    running_worker,
    seed_events,
    stream_payloads,
)
from .test_seed_contest_flow import close_resolving_ties, run_the_defences

EMPTY = "reading-club"
"""A nomination of the contest that no entry was submitted to."""


@pytest.fixture
async def contest_with_an_empty_nomination(
    settings: JudgingSettings, redis: Redis, namespace: str, client: httpx.AsyncClient
) -> AsyncIterator[uuid.UUID]:
    contest_id = uuid.uuid4()
    nominations = [Nomination(code=code, title=code) for code in (*NOMINATIONS, EMPTY)]
    events = seed_events(contest_id, count=6)
    events[0] = announced(contest_id).model_copy(update={"nominations": nominations})
    await publish(redis, namespace, *events)
    async with running_worker(settings):
        await eventually(
            lambda: contest_is_closed(settings, contest_id), what="submissions to close in judging"
        )
        yield contest_id


async def outbox_types(settings: JudgingSettings, contest_id: uuid.UUID) -> list[str]:
    """The types of the contest's events in the order the closing staged them (the relay's order)."""
    runtime = bootstrap(settings)
    try:
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(BUS_TABLES.outbox.c.envelope).order_by(BUS_TABLES.outbox.c.id)
            )
            envelopes = [json.loads(envelope) for (envelope,) in rows]
    finally:
        await runtime.close()
    return [e["type"] for e in envelopes if e["contest_id"] == str(contest_id)]


async def test_a_final_declares_every_nomination_and_then_finishes_the_contest_with_all_outcomes(
    settings: JudgingSettings,
    client: httpx.AsyncClient,
    contest_with_an_empty_nomination: uuid.UUID,
    redis: Redis,
    namespace: str,
) -> None:
    contest = contest_with_an_empty_nomination
    jurors = await register_jury(client, contest, 7)
    final = await declare(client, contest, FINAL)
    opened = await client.post(f"/contests/{contest}/stages/{final['id']}/open", headers=ORGANISER)
    assert opened.status_code == 200, opened.text
    hall_screen = await run_the_defences(client, contest, opened.json(), jurors)
    await close_resolving_ties(client, contest, final)
    await asyncio.wait_for(hall_screen, 10)

    async def finished() -> bool:
        return len(await stream_payloads(redis, namespace, "contest-finished")) == 1

    await eventually(finished, what="ContestFinished on the bus")
    declared = {d["nomination_code"]: d for d in await stream_payloads(redis, namespace, "winner-declared")}
    assert sorted(declared) == sorted((*NOMINATIONS, EMPTY)), "one WinnerDeclared per nomination"
    assert declared[EMPTY]["placements"] == [] and declared[EMPTY]["special_mentions"] == []
    assert all(len(declared[code]["placements"]) == 1 for code in NOMINATIONS)

    [payload] = await stream_payloads(redis, namespace, "contest-finished")
    assert payload["stage_id"] == final["id"]
    outcomes: dict[str, Any] = {o["nomination_code"]: o for o in payload["outcomes"]}
    assert outcomes == {
        code: {k: d[k] for k in ("nomination_code", "placements", "special_mentions")}
        for code, d in declared.items()
    }
    assert sorted(payload["winner_entry_ids"]) == sorted(
        p["entry_id"] for d in declared.values() for p in d["placements"]
    )
    assert len(payload["participant_entry_ids"]) == 6

    staged = await outbox_types(settings, contest)
    assert staged[-6:] == ["stage-closed", *["winner-declared"] * 4, "contest-finished"]
