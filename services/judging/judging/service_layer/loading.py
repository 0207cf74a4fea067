"""Reading a contest's state as the domain's objects: entries, jury, conflicts, stages, assignments."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..adapters.tables import (
    AssignmentRow,
    ConflictRow,
    ContestCopy,
    EntryCopy,
    JurorRow,
    ScoreRow,
    StageEntryRow,
    StageRow,
)
from ..domain import (
    Assignment,
    Author,
    ConflictPolicy,
    ConflictRule,
    ConflictSource,
    DeclaredConflict,
    Entry,
    Juror,
    ScoreTable,
)
from .errors import NotFound
from .ports import JurorRecord

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def get_contest(session: AsyncSession, contest_id: uuid.UUID) -> ContestCopy:
    contest = await session.get(ContestCopy, contest_id)
    if contest is None:
        raise NotFound(f"No contest {contest_id} is known to judging (it has not been announced yet).")
    return contest


async def get_stage(session: AsyncSession, contest_id: uuid.UUID, stage_id: uuid.UUID) -> StageRow:
    stage = await session.get(StageRow, stage_id)
    if stage is None or stage.contest_id != contest_id:
        raise NotFound(f"Contest {contest_id} has no stage {stage_id}.")
    return stage


def entry_of(row: EntryCopy) -> Entry:
    authors = tuple(Author(a["full_name"], a["library"], a["territory_code"]) for a in row.authors)
    submitted = row.submitted_at or EPOCH
    if submitted.tzinfo is None:  # SQLite hands back naive datetimes
        submitted = submitted.replace(tzinfo=UTC)
    return Entry(str(row.id), row.nomination_code, authors, submitted, row.title, row.withdrawn)


def libraries_of(libraries: Iterable[str]) -> str:
    """An entry's library as one line: its authors' libraries, each once, in the authors' order."""
    seen: dict[str, None] = {}
    for library in libraries:
        if library.strip():
            seen.setdefault(library.strip(), None)
    return "; ".join(seen)


def juror_of(row: JurorRecord) -> Juror:
    return Juror(str(row.id), row.name, row.position, row.library, row.territory_code, row.email)


async def stage_entry_rows(session: AsyncSession, stage_id: uuid.UUID) -> list[EntryCopy]:
    rows = await session.execute(
        select(EntryCopy)
        .join(StageEntryRow, col(StageEntryRow.entry_id) == col(EntryCopy.id))
        .where(col(StageEntryRow.stage_id) == stage_id)
        .order_by(col(EntryCopy.id))
    )
    return list(rows.scalars())


async def jurors_of(session: AsyncSession, contest_id: uuid.UUID) -> list[JurorRow]:
    rows = await session.execute(
        select(JurorRow).where(col(JurorRow.contest_id) == contest_id).order_by(col(JurorRow.id))
    )
    return list(rows.scalars())


async def conflict_policy(session: AsyncSession, contest: ContestCopy) -> ConflictPolicy:
    rows = await session.execute(select(ConflictRow).where(col(ConflictRow.contest_id) == contest.id))
    declared = tuple(
        DeclaredConflict(str(r.juror_id), str(r.entry_id), ConflictSource(r.source), r.reason)
        for r in rows.scalars()
    )
    rules = frozenset(ConflictRule(r) for r in contest.conflict_rules)
    return ConflictPolicy(rules=rules, declared=declared)


async def assignment_of(session: AsyncSession, stage_id: uuid.UUID) -> Assignment:
    rows = await session.execute(
        select(col(AssignmentRow.juror_id), col(AssignmentRow.entry_id)).where(
            col(AssignmentRow.stage_id) == stage_id
        )
    )
    return Assignment(frozenset((str(j), str(e)) for j, e in rows))


async def score_table(
    session: AsyncSession,
    stage_id: uuid.UUID,
    criterion_names: tuple[str, ...],
    allowed: Iterable[tuple[str, str]],
) -> ScoreTable:
    """The stage's latest sheets as columns, only of `allowed` (assigned, non-conflicted) pairs."""
    keep = set(allowed)
    rows = await session.execute(
        select(col(ScoreRow.juror_id), col(ScoreRow.entry_id), col(ScoreRow.marks)).where(
            col(ScoreRow.stage_id) == stage_id
        )
    )
    jurors: dict[str, int] = {}
    entries: dict[str, int] = {}
    juror_codes, entry_codes, marks = [], [], []
    for juror_id, entry_id, given in rows:
        pair = (str(juror_id), str(entry_id))
        if pair not in keep:
            continue
        juror_codes.append(jurors.setdefault(pair[0], len(jurors)))
        entry_codes.append(entries.setdefault(pair[1], len(entries)))
        marks.append([float(given[name]) for name in criterion_names])
    return ScoreTable.from_columns(
        criterion_names, list(jurors), list(entries), juror_codes, entry_codes, marks
    )
