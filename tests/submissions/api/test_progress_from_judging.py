"""Each participant sees where their entry stands, from judging's StageClosed and WinnerDeclared
consumed off a real Redis; repeats and out-of-order arrivals change nothing; results go public with
ContestFinished, with prizes and special mentions, and each participant gets a grant to their letters
and diplomas (test_results_when_complete.py: never before every nomination's outcome is in)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from kaleidoscope_shared.contracts import (
    ContestFinished,
    EntryResult,
    Envelope,
    Event,
    NominationOutcome,
    Placement,
    Prize,
    SpecialMention,
    StageClosed,
    WinnerDeclared,
)
from kaleidoscope_shared.grants import ENTRY_DOCUMENTS, check_grant
from kaleidoscope_shared.worker import build_consumer
from submissions.entrypoints.bus import HANDLERS

from ...polling import eventually
from .conftest import GRANT_KEY, ORGANISER, author, bearer, submitted

NOW = datetime(2024, 9, 1, tzinfo=UTC)
REVIEW, FINAL = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
async def consumer(app: FastAPI) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(build_consumer(app.state.submissions.runtime, HANDLERS).run(stop))
    yield
    stop.set()
    await asyncio.wait_for(task, timeout=10)


async def publish(redis: Redis, namespace: str, event: Event, contest_id: str, times: int = 1) -> None:
    envelope = Envelope.wrap(event, producer="judging", contest_id=uuid.UUID(contest_id))
    for _ in range(times):
        await redis.xadd(envelope.stream(namespace), {"envelope": envelope.model_dump_json()})


def stage_closed(contest_id: str, results: dict[str, bool], *, last: bool = False) -> StageClosed:
    return StageClosed(
        contest_id=uuid.UUID(contest_id),
        stage_id=FINAL if last else REVIEW,
        name="final" if last else "review",
        kind="final" if last else "review",
        position=2 if last else 1,
        is_last=last,
        closed_at=NOW,
        results=[
            EntryResult(
                entry_id=uuid.UUID(entry_id),
                nomination_code="service-guide",
                aggregate=None,
                rank=rank,
                advanced=advanced,
                reason="top 9" if advanced else "below the top 9",
            )
            for rank, (entry_id, advanced) in enumerate(results.items(), 1)
        ],
        audit_head_hash="0" * 64,
    )


def winner(
    contest_id: str,
    nomination: str,
    entry_id: str,
    prizes: tuple[Prize, ...] = (),
    mentions: dict[str, str] | None = None,
) -> WinnerDeclared:
    return WinnerDeclared(
        contest_id=uuid.UUID(contest_id),
        stage_id=FINAL,
        nomination_code=nomination,
        placements=[Placement(entry_id=uuid.UUID(entry_id), place=1, prizes=list(prizes))],
        special_mentions=[
            SpecialMention(entry_id=uuid.UUID(e), text=text) for e, text in (mentions or {}).items()
        ],
        declared_at=NOW,
    )


def finished(contest_id: str, *decisions: WinnerDeclared) -> ContestFinished:
    """The contest finished, repeating every nomination's outcome from its WinnerDeclared."""
    return ContestFinished(
        contest_id=uuid.UUID(contest_id),
        finished_at=NOW,
        participant_entry_ids=[],
        winner_entry_ids=[p.entry_id for d in decisions for p in d.placements],
        stage_id=FINAL,
        outcomes=[
            NominationOutcome(
                nomination_code=d.nomination_code,
                placements=d.placements,
                special_mentions=d.special_mentions,
            )
            for d in decisions
        ],
    )


async def progress(client: httpx.AsyncClient, receipt: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    shown = (await client.get(f"/entries/{receipt['id']}", headers=bearer(receipt["token"]))).json()
    return shown["progress"], shown["progress_detail"]


async def test_entries_advance_lose_and_win_whatever_order_and_however_often_events_arrive(
    client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str, consumer: None
) -> None:
    winner_a = await submitted(client, contest_id)
    winner_b = await submitted(client, contest_id, nomination_code="idea-generator", title="Ёлка желаний")
    finalist = await submitted(
        client, contest_id, title="Вместе", authors=[author(full_name="Кузнецова А.", email=None)]
    )
    dropped = await submitted(
        client, contest_id, title="Третья", authors=[author(full_name="Петрова М.", email=None)]
    )
    assert (await client.get(f"/contests/{contest_id}/results")).status_code == 409
    await client.post(f"/contests/{contest_id}/close", headers=ORGANISER)

    await publish(redis, namespace, winner(contest_id, "service-guide", winner_a["id"]), contest_id, times=2)
    review = {winner_a["id"]: True, winner_b["id"]: True, finalist["id"]: True, dropped["id"]: False}
    await publish(redis, namespace, stage_closed(contest_id, review), contest_id, times=2)

    async def review_applied() -> bool:
        return (await progress(client, dropped))[0] == "not_advanced"

    await eventually(review_applied)
    assert (await progress(client, winner_a)) == (
        "winner",
        {
            "stage_id": str(FINAL),
            "nomination_code": "service-guide",
            "nomination": "Сервис гид",
            "place": 1,
            "prizes": [],
        },
    )
    state, detail = await progress(client, finalist)
    assert state == "advanced" and detail["stage"] == "review" and detail["rank"] == 3
    assert (await progress(client, winner_b))[0] == "advanced"
    assert (await client.get(f"/contests/{contest_id}/results")).status_code == 409

    await publish(redis, namespace, winner(contest_id, "idea-generator", winner_b["id"]), contest_id)
    await publish(redis, namespace, stage_closed(contest_id, {}, last=True), contest_id)
    decisions = (
        winner(contest_id, "service-guide", winner_a["id"]),
        winner(contest_id, "idea-generator", winner_b["id"]),
    )
    await publish(redis, namespace, finished(contest_id, *decisions), contest_id)

    async def results_out() -> bool:
        return (await client.get(f"/contests/{contest_id}/results")).status_code == 200

    await eventually(results_out)
    public = (await client.get(f"/contests/{contest_id}/results")).json()
    assert {(row["title"], row["progress"], row["place"]) for row in public} == {
        ("Рюкзачок знаний", "winner", 1),
        ("Ёлка желаний", "winner", 1),
        ("Вместе", "advanced", None),
        ("Третья", "not_advanced", None),
    }
    assert "email" not in str(public) and "phone" not in str(public)
    assert (await progress(client, winner_b))[0] == "winner"
    winners = await client.get(
        f"/contests/{contest_id}/entries", params={"status": "winner"}, headers=ORGANISER
    )
    assert winners.json()["total"] == 2


CASH = Prize(kind="cash", description="денежная премия", amount=Decimal(30000), currency="RUB")
SPONSOR = Prize(kind="sponsor", description="приз от ГК «Конкорд»")


async def test_the_public_results_name_prizes_and_mentions_and_participants_get_their_documents_grant(
    client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str, consumer: None
) -> None:
    won = await submitted(client, contest_id)
    mentioned = await submitted(
        client, contest_id, title="Вместе", authors=[author(full_name="Кузнецова А.", email=None)]
    )
    other = await submitted(client, contest_id, nomination_code="idea-generator", title="Ёлка желаний")
    await client.post(f"/contests/{contest_id}/close", headers=ORGANISER)
    decision = winner(
        contest_id, "service-guide", won["id"], (CASH, SPONSOR), {mentioned["id"]: "за вовлечение семей"}
    )
    await publish(redis, namespace, decision, contest_id)
    review = {won["id"]: True, mentioned["id"]: True, other["id"]: True}
    await publish(redis, namespace, stage_closed(contest_id, review), contest_id)  # late: keeps the mention
    shown = (await client.get(f"/entries/{mentioned['id']}", headers=bearer(mentioned["token"]))).json()
    assert shown["documents_grant"] is None

    async def mention_kept() -> bool:
        state, detail = await progress(client, mentioned)
        return state == "advanced" and detail.get("special_mention") == "за вовлечение семей"

    await eventually(mention_kept)
    await publish(redis, namespace, winner(contest_id, "idea-generator", other["id"]), contest_id)
    won_other = winner(contest_id, "idea-generator", other["id"])
    await publish(redis, namespace, finished(contest_id, decision, won_other), contest_id)

    async def results_out() -> bool:
        return (await client.get(f"/contests/{contest_id}/results")).status_code == 200

    await eventually(results_out)
    public = {row["id"]: row for row in (await client.get(f"/contests/{contest_id}/results")).json()}
    assert public[won["id"]] == {
        "id": won["id"],
        "nomination": "Сервис гид",
        "nomination_code": "service-guide",
        "title": "Рюкзачок знаний",
        "authors": [
            {
                "full_name": "Заводискер Оксана Юрьевна",
                "position": "ведущий библиотекарь",
                "library": "Центральная детская библиотека ЦБС г. Белово",
                "territory": "Беловский городской округ",
            }
        ],
        "progress": "winner",
        "place": 1,
        "finalist": True,
        "prizes": [
            {"kind": "cash", "description": "денежная премия", "amount": "30000", "currency": "RUB"},
            {"kind": "sponsor", "description": "приз от ГК «Конкорд»", "amount": None, "currency": None},
        ],
        "special_mention": None,
    }
    assert {k: public[mentioned["id"]][k] for k in ("progress", "place", "finalist", "special_mention")} == {
        "progress": "advanced",
        "place": None,
        "finalist": True,
        "special_mention": "за вовлечение семей",
    }

    mine = (await client.get(f"/entries/{won['id']}", headers=bearer(won["token"]))).json()
    grant = check_grant(GRANT_KEY, mine["documents_grant"], ENTRY_DOCUMENTS, won["id"])
    assert 3500 < grant.expires - time.time() <= 3600
    as_organiser = (await client.get(f"/entries/{won['id']}", headers=ORGANISER)).json()
    assert as_organiser["documents_grant"] is None
