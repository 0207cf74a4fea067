"""Scoring while a stage is open: an assigned, non-conflicted juror's marks, revisable until the close.

Every sheet and revision is an audit record. The chain's head is taken first, so a score and a
close of the same contest never interleave: a score either counts in the close or is refused.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import (
    AssignmentRow,
    ContestCopy,
    EntryCopy,
    ScoreRow,
    StageEntryRow,
    StageRow,
)
from ..domain import Assignment, ScoreSheet, StageKind, StageStatus, validate_score_sheet
from . import audit
from .errors import NotFound, Refused
from .loading import conflict_policy, entry_of, get_stage, juror_of
from .ports import JurorRecord
from .stage_definitions import stage_from_definition


async def give_score(
    runtime: ServiceRuntime,
    juror: JurorRecord,
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
        await _check_rules(session, juror, stage_id, entry_id, marks, now)
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, juror.contest_id)
        row, assigned = await _stage_and_assignment(session, juror, stage_id, entry_id)
        _refuse_unless_open(row, now)
        _refuse_before_defence(row, entry_id)
        if assigned is None:
            raise Refused(
                f"Entry {entry_id} was taken away from you (a conflict was declared) while you scored it."
            )
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


async def _stage_and_assignment(
    session: AsyncSession, juror: JurorRecord, stage_id: uuid.UUID, entry_id: uuid.UUID
) -> tuple[StageRow, uuid.UUID | None]:
    assigned = and_(
        col(AssignmentRow.stage_id) == col(StageRow.id),
        col(AssignmentRow.juror_id) == juror.id,
        col(AssignmentRow.entry_id) == entry_id,
    )
    found = (
        await session.execute(
            select(StageRow, col(AssignmentRow.entry_id))
            .outerjoin(AssignmentRow, assigned)
            .where(col(StageRow.id) == stage_id, col(StageRow.contest_id) == juror.contest_id)
        )
    ).one_or_none()
    if found is None:
        raise NotFound(f"Contest {juror.contest_id} has no stage {stage_id}.")
    return found[0], found[1]


async def _check_rules(
    session: AsyncSession,
    juror: JurorRecord,
    stage_id: uuid.UUID,
    entry_id: uuid.UUID,
    marks: dict[str, float],
    now: datetime,
) -> None:
    taken = and_(col(StageEntryRow.stage_id) == col(StageRow.id), col(StageEntryRow.entry_id) == entry_id)
    found = (
        await session.execute(
            select(StageRow, ContestCopy, EntryCopy, col(StageEntryRow.entry_id))
            .join(ContestCopy, col(ContestCopy.id) == col(StageRow.contest_id))
            .outerjoin(StageEntryRow, taken)
            .outerjoin(EntryCopy, col(EntryCopy.id) == col(StageEntryRow.entry_id))
            .where(col(StageRow.id) == stage_id, col(StageRow.contest_id) == juror.contest_id)
        )
    ).one_or_none()
    if found is None:
        raise NotFound(f"Contest {juror.contest_id} has no stage {stage_id}.")
    row, contest, entry, _ = found
    if entry is None:
        raise NotFound(f"Stage '{row.name}' has no entry {entry_id}.")
    _refuse_unless_open(row, now)
    _refuse_before_defence(row, entry_id)
    _, assigned = await _stage_and_assignment(session, juror, stage_id, entry_id)
    validate_score_sheet(
        ScoreSheet(str(juror.id), str(entry_id), marks),
        stage=stage_from_definition(row.definition),
        juror=juror_of(juror),
        entry=entry_of(entry),
        assignment=Assignment(frozenset({(str(juror.id), str(entry_id))} if assigned else set())),
        conflicts=await conflict_policy(session, contest),
    )


def scoring_refusal(row: StageRow, now: datetime, entry_id: uuid.UUID | None = None) -> str | None:
    """Why the stage's state refuses a sheet now (for `entry_id`, or for any entry when None), in the
    words give_score would use; None when it would take it."""
    try:
        _refuse_unless_open(row, now)
        if entry_id is not None:
            _refuse_before_defence(row, entry_id)
    except Refused as refusal:
        return refusal.detail
    return None


def _refuse_unless_open(row: StageRow, now: datetime) -> None:
    if row.status != StageStatus.OPEN:
        raise Refused(f"Stage '{row.name}' is {row.status}: scores are taken only while it is open.")
    deadline = stage_from_definition(row.definition).deadline
    if deadline is not None and now > deadline:
        raise Refused(
            f"Stage '{row.name}' stopped taking scores at its deadline, {deadline.isoformat()} (server time)."
        )


def _refuse_before_defence(row: StageRow, entry_id: uuid.UUID) -> None:
    if row.kind != StageKind.FINAL or row.defending_entry_id == entry_id:
        return
    if str(entry_id) not in row.defended:
        raise Refused(f"Entry {entry_id} has not defended yet; score it during or after its defence.")


async def _store(
    session: AsyncSession,
    stage_id: uuid.UUID,
    juror_id: uuid.UUID,
    entry_id: uuid.UUID,
    marks: dict[str, float],
    now: datetime,
) -> ScoreRow:
    """Insert the sheet or revise it, in one statement (an upsert on the sheet's key)."""
    marks = dict(sorted(marks.items()))
    values: dict[str, Any] = {
        "stage_id": stage_id,
        "juror_id": juror_id,
        "entry_id": entry_id,
        "marks": marks,
        "revision": 1,
        "scored_at": now,
    }
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    upsert = (
        insert(ScoreRow)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["stage_id", "juror_id", "entry_id"],
            set_={"marks": marks, "scored_at": now, "revision": col(ScoreRow.revision) + 1},
        )
        .returning(col(ScoreRow.revision))
    )
    revision = (await session.execute(upsert)).scalar_one()
    return ScoreRow(
        stage_id=stage_id,
        juror_id=juror_id,
        entry_id=entry_id,
        marks=marks,
        revision=revision,
        scored_at=now,
    )


async def own_score(
    runtime: ServiceRuntime, juror: JurorRecord, stage_id: uuid.UUID, entry_id: uuid.UUID
) -> ScoreRow:
    """The juror's own sheet for the entry (404 when they have not scored it)."""
    async with runtime.sessions() as session:
        await get_stage(session, juror.contest_id, stage_id)
        score = await session.get(ScoreRow, (stage_id, juror.id, entry_id))
    if score is None:
        raise NotFound(f"You have not scored entry {entry_id} in this stage.")
    return score


async def jury_scores(
    runtime: ServiceRuntime, juror: JurorRecord, stage_id: uuid.UUID, entry_id: uuid.UUID
) -> list[dict[str, float]]:
    """The other jurors' marks for an entry, shown only to a juror who has scored it (and, in a final,
    only once its defence has ended)."""
    async with runtime.sessions() as session:
        row = await get_stage(session, juror.contest_id, stage_id)
        if await session.get(ScoreRow, (stage_id, juror.id, entry_id)) is None:
            raise NotFound(f"Score entry {entry_id} yourself before seeing the other jurors' scores.")
        if row.kind == StageKind.FINAL and str(entry_id) not in row.defended:
            raise Refused("Scores of a final stay hidden until the entry's defence ends.")
        rows = await session.execute(
            select(col(ScoreRow.marks)).where(
                col(ScoreRow.stage_id) == stage_id,
                col(ScoreRow.entry_id) == entry_id,
                col(ScoreRow.juror_id) != juror.id,
            )
        )
        return sorted((marks for (marks,) in rows), key=lambda m: json.dumps(m, sort_keys=True))
