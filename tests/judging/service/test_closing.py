"""Closing a stage: once only, even when two requests race; a tie that matters waits for the chair;
stages open in order; the audit chain names a tampered row."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import func, select, update

from judging.adapters.tables import BUS_TABLES, AuditRow
from judging.bootstrap import bootstrap
from judging.settings import JudgingSettings

from ...polling import eventually
from .judging_kit import (
    FINAL,
    ORGANISER,
    REVIEW,
    announced,
    bearer,
    declare,
    publish,
    register_jury,
    running_worker,
    stream_payloads,
)

SAME = {"relevance": 7, "novelty": 7, "replicability": 7}
NO_SEPARATING_RULE = {
    **REVIEW,
    "advancement": {"rule": "top_per_nomination", "n": 1},
    "tie_breaks": ["higher_median", "more_top_marks"],
}


async def everyone_gives_the_same_marks(
    client: httpx.AsyncClient, contest: uuid.UUID, stage: dict[str, Any], jurors: list[dict[str, Any]]
) -> None:
    for juror in jurors:
        for entry in (
            await client.get(f"/contests/{contest}/stages/{stage['id']}/my-entries", headers=bearer(juror))
        ).json():
            url = f"/contests/{contest}/stages/{stage['id']}/entries/{entry['id']}/my-score"
            assert (await client.put(url, json={"marks": SAME}, headers=bearer(juror))).status_code == 200


async def test_a_tie_the_chain_cannot_break_waits_for_the_chairs_decision(
    client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    jurors = (await register_jury(client, small_contest, 4))[2:]
    stage = await declare(client, small_contest, NO_SEPARATING_RULE)
    await client.post(f"/contests/{small_contest}/stages/{stage['id']}/open", headers=ORGANISER)
    await everyone_gives_the_same_marks(client, small_contest, stage, jurors)
    refused = await client.post(f"/contests/{small_contest}/stages/{stage['id']}/close", headers=ORGANISER)
    assert refused.status_code == 409
    tied = refused.json()["tied_entries"]
    assert len(tied) == 3 and all(len(group) == 2 for group in tied), "one tie per nomination"
    assert (await client.get(f"/contests/{small_contest}/stages/{stage['id']}", headers=ORGANISER)).json()[
        "status"
    ] == "open"
    chair_order = [group[1] for group in tied] + [group[0] for group in tied]
    await client.put(
        f"/contests/{small_contest}/stages/{stage['id']}/chair-ordering",
        json={"entry_ids": chair_order},
        headers=ORGANISER,
    )
    closed = await client.post(f"/contests/{small_contest}/stages/{stage['id']}/close", headers=ORGANISER)
    assert closed.status_code == 200, closed.text
    results = (
        await client.get(f"/contests/{small_contest}/stages/{stage['id']}/results", headers=ORGANISER)
    ).json()
    assert sorted(r["entry_id"] for r in results if r["advanced"]) == sorted(group[1] for group in tied)
    assert all(r["decided_by"] == "chair_decision" and "chair" in r["reason"] for r in results)


async def test_two_closes_racing_emit_one_stage_closed(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    jurors = (await register_jury(client, small_contest, 4))[2:]
    stage = await declare(client, small_contest, REVIEW)
    await client.post(f"/contests/{small_contest}/stages/{stage['id']}/open", headers=ORGANISER)
    await everyone_gives_the_same_marks(client, small_contest, stage, jurors)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=client.app), base_url="http://other"
    ) as other:  # type: ignore[attr-defined]
        url = f"/contests/{small_contest}/stages/{stage['id']}/close"
        answers = await asyncio.gather(
            client.post(url, headers=ORGANISER), other.post(url, headers=ORGANISER)
        )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert await outbox_count(settings, "stage-closed") == 1


async def outbox_count(settings: JudgingSettings, event_type: str) -> int:
    runtime = bootstrap(settings)
    try:
        async with runtime.sessions() as session:
            outbox = BUS_TABLES.outbox
            return int(
                await session.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.stream.like(f"%.{event_type}.v1"))
                )
                or 0
            )
    finally:
        await runtime.close()


async def test_stages_open_in_order_and_stage_one_waits_for_submissions_to_close(
    settings: JudgingSettings, client: httpx.AsyncClient, redis: Redis, namespace: str
) -> None:
    contest = uuid.uuid4()
    await publish(redis, namespace, announced(contest))
    async with running_worker(settings):
        await eventually(lambda: _known(client, contest), what="the contest to be announced")
    await register_jury(client, contest, 1)
    review, final = await declare(client, contest, REVIEW), await declare(client, contest, FINAL)
    early = await client.post(f"/contests/{contest}/stages/{review['id']}/open", headers=ORGANISER)
    assert early.status_code == 409 and "Submissions are still open" in early.json()["detail"]
    too_soon = await client.post(f"/contests/{contest}/stages/{final['id']}/open", headers=ORGANISER)
    assert too_soon.status_code == 409 and "must close" in too_soon.json()["detail"]
    after_final = await client.post(
        f"/contests/{contest}/stages", json={**REVIEW, "name": "encore"}, headers=ORGANISER
    )
    assert after_final.status_code == 422 and "last stage" in after_final.json()["detail"]


async def _known(client: httpx.AsyncClient, contest: uuid.UUID) -> bool:
    return (await client.get(f"/contests/{contest}/jurors", headers=ORGANISER)).status_code == 200


async def test_the_audit_check_names_the_first_tampered_row(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    jurors = (await register_jury(client, small_contest, 4))[2:]
    stage = await declare(client, small_contest, REVIEW)
    await client.post(f"/contests/{small_contest}/stages/{stage['id']}/open", headers=ORGANISER)
    await everyone_gives_the_same_marks(client, small_contest, stage, jurors)
    url = f"/contests/{small_contest}/audit/verification"
    whole = (await client.get(url, headers=ORGANISER)).json()
    assert whole["intact"] and whole["records"] == 4 + 1 + 1 + 2 * 6  # jurors, stage, open, sheets
    runtime = bootstrap(settings)
    try:
        async with runtime.sessions() as session, session.begin():
            await session.execute(
                update(AuditRow)
                .where(AuditRow.contest_id == small_contest, AuditRow.sequence == 7)
                .values(payload='{"marks":{"relevance":10}}')
            )
    finally:
        await runtime.close()
    broken = (await client.get(url, headers=ORGANISER)).json()
    assert broken == {"records": whole["records"], "first_broken_sequence": 7, "intact": False, "heads": []}


async def test_a_stage_closed_carries_the_audit_head(
    client: httpx.AsyncClient, small_contest: uuid.UUID, redis: Redis, namespace: str
) -> None:
    jurors = (await register_jury(client, small_contest, 4))[2:]
    stage = await declare(client, small_contest, REVIEW)
    await client.post(f"/contests/{small_contest}/stages/{stage['id']}/open", headers=ORGANISER)
    await everyone_gives_the_same_marks(client, small_contest, stage, jurors)
    assert (
        await client.post(f"/contests/{small_contest}/stages/{stage['id']}/close", headers=ORGANISER)
    ).status_code == 200

    async def published() -> bool:
        return len(await stream_payloads(redis, namespace, "stage-closed")) == 1

    await eventually(published, what="StageClosed on the bus")
    [closed] = await stream_payloads(redis, namespace, "stage-closed")
    assert len(closed["audit_head_hash"]) == 64 and len(closed["results"]) == 6
    fairness = (
        await client.get(f"/contests/{small_contest}/stages/{stage['id']}/fairness", headers=ORGANISER)
    ).json()
    assert {j["mean_deviation"] for j in fairness["jurors"]} == {0.0}
