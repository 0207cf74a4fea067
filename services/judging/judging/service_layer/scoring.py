"""Scoring while a stage is open: an assigned, non-conflicted juror's marks, revisable until the close.

Every sheet and revision is an audit record. The chain's head is taken first, so a score and a
close of the same contest never interleave: a score either counts in the close or is refused.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import (
    AssignmentRow,
    ContestCopy,
    EntryCopy,
    JurorRow,
    ScoreRow,
    StageEntryRow,
    StageRow,
)
from ..domain import Assignment, ScoreSheet, StageKind, validate_score_sheet
from . import audit
from .errors import NotFound, Refused
from .loading import conflict_policy, entry_of, get_stage, juror_of
from .stage_definitions import stage_from_json


async def give_score(
    runtime: ServiceRuntime,
    juror: JurorRow,
    stage_id: uuid.UUID,
    entry_id: uuid.UUID,
    marks: dict[str, float],
    now: datetime | None = None,
) -> ScoreRow:
    """Record (or revise) the juror's sheet for the entry; refuses with a reason when it cannot count.

    The rules are checked first in a read-only transaction, outside the contest's audit lock; under
    the lock only what a concurrent close or conflict could change is checked again (the stage is
    still open, the pair is still assigned), so scores of many jurors queue only for their writes.
    """
    now = now or datetime.now(UTC)
    async with runtime.sessions() as session:
        kind = await _check_rules(session, juror, stage_id, entry_id, marks, now)
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, juror.contest_id)
        row = await get_stage(session, juror.contest_id, stage_id)
        _refuse_unless_open(row, now)
        if await session.get(AssignmentRow, (stage_id, juror.id, entry_id)) is None:
            raise Refused(
                f"Entry {entry_id} was taken away from you (a conflict was declared) while you scored it."
            )
        if kind == StageKind.FINAL and str(entry_id) not in _defence_started(row):
            raise Refused(f"Entry {entry_id} has not defended yet; score it during or after its defence.")
        score = await _store(session, stage_id, juror.id, entry_id, marks, now)
        change = "score_given" if score.revision == 1 else "score_revised"
        await audit.append(
            session,
            head,
            change,
            {
                "stage_id": stage_id,
                "juror_id": juror.id,
                "entry_id": entry_id,
                "revision": score.revision,
                "marks": marks,
            },
        )
    return score


async def _check_rules(
    session: AsyncSession,
    juror: JurorRow,
    stage_id: uuid.UUID,
    entry_id: uuid.UUID,
    marks: dict[str, float],
    now: datetime,
) -> str:
    row = await get_stage(session, juror.contest_id, stage_id)
    entry = await _entry_in_stage(session, row, entry_id)
    _refuse_unless_open(row, now)
    assigned = await session.get(AssignmentRow, (stage_id, juror.id, entry_id))
    contest = await session.get(ContestCopy, juror.contest_id)
    assert contest is not None
    validate_score_sheet(
        ScoreSheet(str(juror.id), str(entry_id), marks),
        stage=stage_from_json(row.definition_json),
        juror=juror_of(juror),
        entry=entry_of(entry),
        assignment=Assignment(frozenset({(str(juror.id), str(entry_id))} if assigned else set())),
        conflicts=await conflict_policy(session, contest),
    )
    if row.kind == StageKind.FINAL and str(entry_id) not in _defence_started(row):
        raise Refused(f"Entry {entry_id} has not defended yet; score it during or after its defence.")
    return row.kind


async def _entry_in_stage(session: AsyncSession, row: StageRow, entry_id: uuid.UUID) -> EntryCopy:
    taken = await session.get(StageEntryRow, (row.id, entry_id))
    entry = await session.get(EntryCopy, entry_id)
    if taken is None or entry is None:
        raise NotFound(f"Stage '{row.name}' has no entry {entry_id}.")
    return entry


def _refuse_unless_open(row: StageRow, now: datetime) -> None:
    if row.status != "open":
        raise Refused(f"Stage '{row.name}' is {row.status}: scores are taken only while it is open.")
    deadline = stage_from_json(row.definition_json).deadline
    if deadline is not None and now > deadline:
        raise Refused(
            f"Stage '{row.name}' stopped taking scores at its deadline, {deadline.isoformat()} (server time)."
        )


def _defence_started(row: StageRow) -> set[str]:
    started = set(json.loads(row.defended_json))
    if row.defending_entry_id:
        started.add(str(row.defending_entry_id))
    return started


async def _store(
    session: AsyncSession,
    stage_id: uuid.UUID,
    juror_id: uuid.UUID,
    entry_id: uuid.UUID,
    marks: dict[str, float],
    now: datetime,
) -> ScoreRow:
    score = await session.get(ScoreRow, (stage_id, juror_id, entry_id))
    text = json.dumps(marks, sort_keys=True)
    if score is None:
        score = ScoreRow(
            stage_id=stage_id,
            juror_id=juror_id,
            entry_id=entry_id,
            marks_json=text,
            revision=1,
            scored_at=now,
        )
        session.add(score)
    else:
        score.marks_json, score.revision, score.scored_at = text, score.revision + 1, now
    return score


async def own_score(
    runtime: ServiceRuntime, juror: JurorRow, stage_id: uuid.UUID, entry_id: uuid.UUID
) -> ScoreRow:
    """The juror's own sheet for the entry (404 when they have not scored it)."""
    async with runtime.sessions() as session:
        await get_stage(session, juror.contest_id, stage_id)
        score = await session.get(ScoreRow, (stage_id, juror.id, entry_id))
    if score is None:
        raise NotFound(f"You have not scored entry {entry_id} in this stage.")
    return score


async def jury_scores(
    runtime: ServiceRuntime, juror: JurorRow, stage_id: uuid.UUID, entry_id: uuid.UUID
) -> list[dict[str, float]]:
    """The other jurors' marks for an entry, shown only to a juror who has scored it (and, in a final,
    only once its defence has ended)."""
    async with runtime.sessions() as session:
        row = await get_stage(session, juror.contest_id, stage_id)
        if await session.get(ScoreRow, (stage_id, juror.id, entry_id)) is None:
            raise NotFound(f"Score entry {entry_id} yourself before seeing the other jurors' scores.")
        if row.kind == StageKind.FINAL and str(entry_id) not in json.loads(row.defended_json):
            raise Refused("Scores of a final stay hidden until the entry's defence ends.")
        rows = await session.execute(
            select(ScoreRow.marks_json).where(
                ScoreRow.stage_id == stage_id, ScoreRow.entry_id == entry_id, ScoreRow.juror_id != juror.id
            )  # type: ignore[call-overload]
        )
        return sorted((json.loads(text) for (text,) in rows), key=lambda m: json.dumps(m, sort_keys=True))
