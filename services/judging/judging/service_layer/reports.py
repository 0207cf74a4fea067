"""What the organiser reads: progress per juror and entry, the stage's results, the fairness report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import EntryCopy, ResultRow, ScoreRow
from ..domain import FairnessReport, StageProgress, StageStatus, fairness_report, stage_progress
from .errors import Refused
from .loading import (
    assignment_of,
    entry_of,
    get_stage,
    jurors_of,
    libraries_of,
    score_table,
    stage_entry_rows,
)
from .stage_definitions import stage_from_definition


async def progress_of(
    runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID
) -> tuple[StageProgress, frozenset[str], dict[str, str]]:
    """Which assigned sheets are in and which are missing, per juror and per entry; the jurors late
    (the stage's deadline passed while they still have entries to score); each juror's name."""
    async with runtime.sessions() as session:
        row = await get_stage(session, contest_id, stage_id)
        assignment = await assignment_of(session, stage_id)
        scored = await session.execute(
            select(col(ScoreRow.juror_id), col(ScoreRow.entry_id)).where(col(ScoreRow.stage_id) == stage_id)
        )
        progress = stage_progress(assignment, ((str(j), str(e)) for j, e in scored))
        names = {str(j.id): j.name for j in await jurors_of(session, contest_id)}
    deadline = stage_from_definition(row.definition).deadline
    late = (
        progress.late_jurors(deadline, datetime.now(UTC)) if row.status == StageStatus.OPEN else frozenset()
    )
    return progress, late, names


@dataclass(frozen=True, slots=True)
class NamedResult:
    """An entry's outcome with what names the entry: title, authors' names, library."""

    result: ResultRow
    title: str
    authors: list[str]
    library: str


async def results_of(
    runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID
) -> list[NamedResult]:
    """Every entry's outcome, best first per group, named; refused until the stage has closed."""
    async with runtime.sessions() as session:
        row = await get_stage(session, contest_id, stage_id)
        if row.status != StageStatus.CLOSED:
            raise Refused(f"Stage '{row.name}' is {row.status}; results exist once it closes.")
        rows = await session.execute(
            select(ResultRow, EntryCopy)
            .outerjoin(EntryCopy, col(EntryCopy.id) == col(ResultRow.entry_id))
            .where(col(ResultRow.stage_id) == stage_id)
        )
        named = [_named(result, entry) for result, entry in rows]
    return sorted(
        named,
        key=lambda n: (
            n.result.nomination_code,
            n.result.rank is None,
            n.result.rank or 0,
            str(n.result.entry_id),
        ),
    )


def _named(result: ResultRow, entry: EntryCopy | None) -> NamedResult:
    authors = entry.authors if entry else []
    return NamedResult(
        result,
        entry.title if entry else "",
        [a["full_name"] for a in authors],
        libraries_of(a["library"] for a in authors),
    )


async def fairness_of(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> FairnessReport:
    """Each juror's harshness, disagreement per entry, and whether normalisation changes who advances."""
    async with runtime.sessions() as session:
        row = await get_stage(session, contest_id, stage_id)
        if row.status == StageStatus.DECLARED:
            raise Refused(f"Stage '{row.name}' has not opened; there are no scores to report on.")
        stage = stage_from_definition(row.definition)
        entries = [entry_of(e) for e in await stage_entry_rows(session, stage_id)]
        assignment = await assignment_of(session, stage_id)
        table = await score_table(session, stage_id, stage.criterion_names, assignment.pairs)
        return fairness_report(stage, entries, table, chair_ordering=row.chair_ordering)


def as_json(value: Any) -> Any:
    """Dataclass reports as plain JSON values."""
    from dataclasses import asdict, is_dataclass

    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
