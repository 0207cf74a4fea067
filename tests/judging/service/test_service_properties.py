"""Properties of the service layer over a real database (SQLite, a fresh contest per example):
a conflicted juror's sheet never exists, and a stage's results do not depend on the order in which
scores arrived."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from judging.adapters.tables import ConflictRow, JurorRow, ScoreRow
from judging.bootstrap import bootstrap
from judging.domain import ConflictSource, JudgingError
from judging.service_layer.closing import close_stage
from judging.service_layer.commands import DeclareStage, RegisterJuror, SetConflict
from judging.service_layer.entries import close_submissions, record_contest, record_entry
from judging.service_layer.errors import ServiceError
from judging.service_layer.jury import declare_conflict, register_juror
from judging.service_layer.reports import results_of
from judging.service_layer.scoring import give_score
from judging.service_layer.stages import declare_stage, open_stage
from judging.settings import JudgingSettings
from kaleidoscope_shared.bus.consumer import EventContext
from kaleidoscope_shared.contracts import EntrySubmitted, Envelope, Event, SubmissionsClosed
from kaleidoscope_shared.runtime import ServiceRuntime

from .judging_kit import REVIEW, seed_events

T = TypeVar("T")
ENTRIES, JURORS = 6, 3
# A real SQLite database of the module's own, without the `database_url` fixture: not a unit test.
pytestmark = pytest.mark.integration

MARKS = st.fixed_dictionaries({c["name"]: st.integers(0, 10) for c in REVIEW["criteria"]})


@pytest.fixture(scope="module")
def judging_settings(tmp_path_factory: pytest.TempPathFactory) -> JudgingSettings:
    path: Path = tmp_path_factory.mktemp("properties") / "judging.db"
    return JudgingSettings(database_url=f"sqlite+aiosqlite:///{path}", log_level="WARNING")


def run_on_runtime(judging_settings: JudgingSettings, use: Callable[[ServiceRuntime], Awaitable[T]]) -> T:
    """`use` a runtime opened and closed in one event loop of its own: its Redis and database clients
    belong to the loop that opened them (a nudge sent after a commit must not outlive it)."""

    async def run() -> T:
        runtime = bootstrap(judging_settings)
        await runtime.open()
        try:
            return await use(runtime)
        finally:
            await runtime.close()

    return asyncio.run(run())


async def _deliver(runtime: ServiceRuntime, event: Event) -> None:
    handlers: dict[type, Any] = {EntrySubmitted: record_entry, SubmissionsClosed: close_submissions}
    async with runtime.sessions() as session, session.begin():
        envelope = Envelope.wrap(event, producer="submissions", correlation_id=uuid.uuid4())
        await handlers.get(type(event), record_contest)(
            EventContext(session, envelope, runtime.outbox), event
        )


async def open_contest(
    runtime: ServiceRuntime,
) -> tuple[uuid.UUID, uuid.UUID, list[JurorRow], list[uuid.UUID]]:
    contest = uuid.uuid4()
    events = seed_events(contest, count=ENTRIES)
    for event in events:
        await _deliver(runtime, event)
    jurors = [
        (await register_juror(runtime, contest, RegisterJuror(name=f"J{i}", library=f"Far library {i}")))[0]
        for i in range(JURORS)
    ]
    stage = await declare_stage(
        runtime,
        contest,
        DeclareStage.model_validate(
            {
                **REVIEW,
                "tie_breaks": ["higher_median", "more_top_marks", "earlier_submission", "chair_decision"],
            }
        ),
    )
    await open_stage(runtime, contest, stage.id)
    return contest, stage.id, jurors, [e.entry_id for e in events if isinstance(e, EntrySubmitted)]


operations = st.lists(
    st.tuples(
        st.sampled_from(["score", "recuse"]), st.integers(0, JURORS - 1), st.integers(0, ENTRIES - 1), MARKS
    ),
    max_size=25,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_a_conflicted_jurors_sheet_never_exists(judging_settings: JudgingSettings, steps: list[Any]) -> None:
    async def run(runtime: ServiceRuntime) -> None:
        contest, stage_id, jurors, entries = await open_contest(runtime)
        for kind, j, e, marks in steps:
            try:
                if kind == "score":
                    await give_score(runtime, jurors[j], stage_id, entries[e], marks)
                else:
                    await declare_conflict(
                        runtime,
                        contest,
                        SetConflict(juror_id=jurors[j].id, entry_id=entries[e], reason="r"),
                        ConflictSource.DECLARED_BY_JUROR,
                    )
            except (ServiceError, JudgingError):
                pass
        async with runtime.sessions() as session:
            conflicts = {
                (c.juror_id, c.entry_id)
                for c in (
                    await session.execute(select(ConflictRow).where(ConflictRow.contest_id == contest))
                ).scalars()
            }
            sheets = {
                (s.juror_id, s.entry_id)
                for s in (
                    await session.execute(select(ScoreRow).where(ScoreRow.stage_id == stage_id))
                ).scalars()
            }
        assert not conflicts & sheets

    run_on_runtime(judging_settings, run)


sheets_strategy = st.lists(MARKS, min_size=JURORS * ENTRIES, max_size=JURORS * ENTRIES)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sheets_strategy, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_the_order_scores_arrived_in(
    judging_settings: JudgingSettings, marks: list[Any], rng: Any
) -> None:
    async def outcome(runtime: ServiceRuntime, order: list[int]) -> list[tuple[int, Any, Any, bool, str]]:
        contest, stage_id, jurors, entries = await open_contest(runtime)
        for k in order:
            await give_score(runtime, jurors[k // ENTRIES], stage_id, entries[k % ENTRIES], marks[k])
        await close_stage(runtime, contest, stage_id)
        by_entry = {n.result.entry_id: n.result for n in await results_of(runtime, contest, stage_id)}
        return [
            (i, by_entry[e].rank, by_entry[e].aggregate, by_entry[e].advanced, by_entry[e].decided_by)
            for i, e in enumerate(entries)
        ]

    canonical = list(range(JURORS * ENTRIES))
    shuffled = canonical[:]
    rng.shuffle(shuffled)
    assert run_on_runtime(judging_settings, lambda runtime: outcome(runtime, canonical)) == run_on_runtime(
        judging_settings, lambda runtime: outcome(runtime, shuffled)
    )
