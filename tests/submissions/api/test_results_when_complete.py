"""The public results go out only with every nomination's outcome: judging's final StageClosed,
WinnerDeclared per nomination and ContestFinished come on separate streams, in any order, and until
ContestFinished (which repeats every nomination's outcome) is applied the results page answers 409;
from then on it is complete, and later or repeated events change nothing.

Service-layer tests on a real database (SQLite and PostgreSQL), read back over the HTTP API; one
through the worker's consumer on a real Redis, in the order the probe of a contest run saw."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from kaleidoscope_shared.bus.consumer import RetryLater
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
from kaleidoscope_shared.worker import build_consumer
from submissions.adapters.repository import SqlRepository
from submissions.entrypoints.bus import HANDLERS
from submissions.service_layer.progress import (
    record_contest_finished,
    record_stage_closed,
    record_winner_declared,
)

from ...polling import eventually
from .conftest import ORGANISER, author, submitted

NOW = datetime(2024, 9, 1, tzinfo=UTC)
REVIEW, FINAL = uuid.uuid4(), uuid.uuid4()
CASH = Prize(kind="cash", description="денежная премия", amount=Decimal(30000), currency="RUB")
SPONSOR = Prize(kind="sponsor", description="приз от ГК «Конкорд»")
MENTION = "за вовлечение семей"


class Contest:
    """A closed contest of two nominations after its review: two winners-to-be, a finalist the jury
    will mention, and an entry that did not reach the final."""

    def __init__(self, contest_id: str, entries: dict[str, str]) -> None:
        self.id = uuid.UUID(contest_id)
        self.entries = {name: uuid.UUID(entry_id) for name, entry_id in entries.items()}

    def review_closed(self) -> StageClosed:
        advanced = {"guide": True, "ideas": True, "mentioned": True, "dropped": False}
        return self._stage_closed(REVIEW, "review", 1, advanced, last=False)

    def final_closed(self) -> StageClosed:
        return self._stage_closed(
            FINAL, "final", 2, {"guide": True, "ideas": True, "mentioned": False}, last=True
        )

    def outcomes(self) -> list[NominationOutcome]:
        return [
            NominationOutcome(
                nomination_code="idea-generator",
                placements=[Placement(entry_id=self.entries["ideas"], place=1, prizes=[CASH])],
            ),
            NominationOutcome(
                nomination_code="service-guide",
                placements=[Placement(entry_id=self.entries["guide"], place=1, prizes=[CASH, SPONSOR])],
                special_mentions=[SpecialMention(entry_id=self.entries["mentioned"], text=MENTION)],
            ),
        ]

    def winners(self) -> dict[str, WinnerDeclared]:
        return {
            outcome.nomination_code: WinnerDeclared(
                contest_id=self.id,
                stage_id=FINAL,
                nomination_code=outcome.nomination_code,
                placements=outcome.placements,
                special_mentions=outcome.special_mentions,
                declared_at=NOW,
            )
            for outcome in self.outcomes()
        }

    def finished(self, *, with_outcomes: bool = True) -> ContestFinished:
        return ContestFinished(
            contest_id=self.id,
            finished_at=NOW,
            participant_entry_ids=sorted(self.entries.values()),
            winner_entry_ids=[self.entries["ideas"], self.entries["guide"]],
            stage_id=FINAL if with_outcomes else None,
            outcomes=self.outcomes() if with_outcomes else [],
        )

    def _stage_closed(
        self, stage_id: uuid.UUID, name: str, position: int, advanced: dict[str, bool], *, last: bool
    ) -> StageClosed:
        return StageClosed(
            contest_id=self.id,
            stage_id=stage_id,
            name=name,
            kind="final" if last else "review",
            position=position,
            is_last=last,
            closed_at=NOW,
            results=[
                EntryResult(
                    entry_id=self.entries[key],
                    nomination_code="idea-generator" if key == "ideas" else "service-guide",
                    aggregate=None,
                    rank=rank,
                    advanced=went_on,
                    reason="",
                )
                for rank, (key, went_on) in enumerate(advanced.items(), 1)
            ],
            audit_head_hash="0" * 64,
        )


COMPLETE = {
    "guide": ("winner", 1, ["cash", "sponsor"], None),
    "ideas": ("winner", 1, ["cash"], None),
    "mentioned": ("advanced", None, [], MENTION),
    "dropped": ("not_advanced", None, [], None),
}
"""What the public list says of each entry once the results are out: progress, place, prizes, mention."""


@pytest.fixture
async def contest(client: httpx.AsyncClient, contest_id: str) -> Contest:
    entries = {
        "guide": await submitted(client, contest_id),
        "ideas": await submitted(client, contest_id, nomination_code="idea-generator", title="Ёлка желаний"),
        "mentioned": await submitted(
            client, contest_id, title="Вместе", authors=[author(full_name="Кузнецова А.", email=None)]
        ),
        "dropped": await submitted(
            client, contest_id, title="Третья", authors=[author(full_name="Петрова М.", email=None)]
        ),
    }
    assert (await client.post(f"/contests/{contest_id}/close", headers=ORGANISER)).status_code == 200
    return Contest(contest_id, {name: receipt["id"] for name, receipt in entries.items()})


def applying(app: FastAPI) -> Callable[[Event], Awaitable[None]]:
    """Apply one of judging's events as the worker does: the service layer in one transaction."""
    runtime = app.state.submissions.runtime

    async def apply(event: Event) -> None:
        async with runtime.sessions() as session, session.begin():
            repository = SqlRepository(session)
            if isinstance(event, StageClosed):
                await record_stage_closed(repository, event)
            elif isinstance(event, WinnerDeclared):
                await record_winner_declared(repository, event)
            else:
                assert isinstance(event, ContestFinished)
                await record_contest_finished(repository, event)

    return apply


async def public_results(client: httpx.AsyncClient, contest: Contest) -> dict[str, Any] | None:
    """What the public results page gets: None while they are not out, else each entry's line."""
    response = await client.get(f"/contests/{contest.id}/results")
    if response.status_code == 409:
        assert response.headers["content-type"].startswith("application/problem+json")
        return None
    assert response.status_code == 200, response.text
    names = {str(entry_id): name for name, entry_id in contest.entries.items()}
    return {
        names[row["id"]]: (
            row["progress"],
            row["place"],
            [prize["kind"] for prize in row["prizes"]],
            row["special_mention"],
        )
        for row in response.json()
    }


ORDERS = {
    "winners, final, finished": ["final", "service-guide", "idea-generator", "finished"],
    "final, finished, winners": ["final", "finished", "idea-generator", "service-guide"],
    "winner, finished, final, winner": ["service-guide", "finished", "final", "idea-generator"],
    "finished first": ["finished", "service-guide", "final", "idea-generator"],
}


@pytest.mark.parametrize("order", ORDERS.values(), ids=ORDERS.keys())
async def test_the_results_stay_pending_until_every_outcome_is_in_then_are_complete_whatever_the_order(
    app: FastAPI, client: httpx.AsyncClient, contest: Contest, order: list[str]
) -> None:
    apply = applying(app)
    await apply(contest.review_closed())
    events: dict[str, Event] = {"final": contest.final_closed(), "finished": contest.finished()}
    events.update(contest.winners())
    finished = False
    for name in order:
        assert await public_results(client, contest) == (COMPLETE if finished else None), f"before {name}"
        await apply(events[name])
        finished = finished or name == "finished"
    assert await public_results(client, contest) == COMPLETE
    for name in order:  # a redelivery of any of them changes nothing
        await apply(events[name])
    assert await public_results(client, contest) == COMPLETE


async def test_every_nomination_having_its_winner_is_not_yet_the_results(
    app: FastAPI, client: httpx.AsyncClient, contest: Contest
) -> None:
    """The final's StageClosed and every WinnerDeclared applied: the entries show their wins to their
    participants, but the public results wait for the contest to be finished."""
    apply = applying(app)
    await apply(contest.review_closed())
    for event in [contest.final_closed(), *contest.winners().values()]:
        await apply(event)
    assert await public_results(client, contest) is None
    await apply(contest.finished())
    assert await public_results(client, contest) == COMPLETE


async def test_a_contest_finished_without_outcomes_waits_for_every_winner_it_names(
    app: FastAPI, client: httpx.AsyncClient, contest: Contest
) -> None:
    """From a judging older than the outcomes in ContestFinished: tried again until every winner it
    names is recorded, so the results are still never out with a winner missing."""
    apply = applying(app)
    await apply(contest.review_closed())
    winners = contest.winners()
    await apply(winners["service-guide"])
    with pytest.raises(RetryLater, match="WinnerDeclared is not here yet"):
        await apply(contest.finished(with_outcomes=False))
    assert await public_results(client, contest) is None
    await apply(winners["idea-generator"])
    await apply(contest.finished(with_outcomes=False))
    assert await public_results(client, contest) == COMPLETE


# --- through the worker's consumer, on a real Redis --------------------------------------------------


@pytest.fixture
async def consumer(app: FastAPI) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(build_consumer(app.state.submissions.runtime, HANDLERS).run(stop))
    yield
    stop.set()
    await asyncio.wait_for(task, timeout=10)


async def publish(redis: Redis, namespace: str, *events: Event) -> list[tuple[str, str]]:
    """Each event on its stream; the (stream, message id) of each."""
    sent = []
    for event in events:
        envelope = Envelope.wrap(event, producer="judging", contest_id=getattr(event, "contest_id", None))
        stream = envelope.stream(namespace)
        message_id = await redis.xadd(stream, {"envelope": envelope.model_dump_json()})
        sent.append((stream, message_id.decode() if isinstance(message_id, bytes) else str(message_id)))
    return sent


async def consumed(redis: Redis, sent: list[tuple[str, str]]) -> bool:
    """Every message sent was read by the consumer's group and acknowledged (its handler committed)."""
    for stream, message_id in sent:
        [group] = await redis.xinfo_groups(stream)
        last = group["last-delivered-id"]
        last = last.decode() if isinstance(last, bytes) else str(last)
        if tuple(map(int, last.split("-"))) < tuple(map(int, message_id.split("-"))) or group["pending"]:
            return False
    return True


async def test_the_final_closing_before_its_winners_arrive_does_not_open_the_results(
    client: httpx.AsyncClient, contest: Contest, redis: Redis, namespace: str, consumer: None
) -> None:
    """The order a contest run showed: the final's StageClosed applied while its WinnerDeclared are
    still on their way; then one winner; the results open only with ContestFinished, complete."""
    winners = contest.winners()
    sent = await publish(
        redis, namespace, contest.review_closed(), contest.final_closed(), winners["service-guide"]
    )
    await eventually(
        lambda: consumed(redis, sent), what="the final's StageClosed and a WinnerDeclared applied"
    )
    lines = await client.get(
        f"/contests/{contest.id}/entries", params={"status": "winner"}, headers=ORGANISER
    )
    assert lines.json()["total"] == 1
    assert await public_results(client, contest) is None

    await publish(redis, namespace, contest.finished())

    async def out() -> bool:
        return await public_results(client, contest) is not None

    await eventually(out, what="the results out after ContestFinished")
    assert await public_results(client, contest) == COMPLETE
    sent = await publish(redis, namespace, winners["idea-generator"], contest.finished())
    await eventually(lambda: consumed(redis, sent), what="the late and the repeated event applied")
    assert await public_results(client, contest) == COMPLETE
