"""What the organiser reads: progress per juror and entry, the stage's results, the fairness report."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import ResultRow, ScoreRow
from ..domain import FairnessReport, StageProgress, fairness_report, stage_progress
from .errors import Refused
from .loading import assignment_of, entry_of, get_stage, score_table, stage_entry_rows
from .stage_definitions import stage_from_json


async def progress_of(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> StageProgress:
    """Which assigned sheets are in and which are missing, per juror and per entry."""
    async with runtime.sessions() as session:
        await get_stage(session, contest_id, stage_id)
        assignment = await assignment_of(session, stage_id)
        scored = await session.execute(
            select(col(ScoreRow.juror_id), col(ScoreRow.entry_id)).where(col(ScoreRow.stage_id) == stage_id)
        )
        return stage_progress(assignment, ((str(j), str(e)) for j, e in scored))


async def results_of(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> list[ResultRow]:
    """Every entry's outcome, best first per group; refused until the stage has closed."""
    async with runtime.sessions() as session:
        row = await get_stage(session, contest_id, stage_id)
        if row.status != "closed":
            raise Refused(f"Stage '{row.name}' is {row.status}; results exist once it closes.")
        rows = await session.execute(select(ResultRow).where(col(ResultRow.stage_id) == stage_id))
        return sorted(
            rows.scalars(), key=lambda r: (r.nomination_code, r.rank is None, r.rank or 0, str(r.entry_id))
        )


async def fairness_of(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> FairnessReport:
    """Each juror's harshness, disagreement per entry, and whether normalisation changes who advances."""
    async with runtime.sessions() as session:
        row = await get_stage(session, contest_id, stage_id)
        if row.status == "declared":
            raise Refused(f"Stage '{row.name}' has not opened; there are no scores to report on.")
        stage = stage_from_json(row.definition_json)
        entries = [entry_of(e) for e in await stage_entry_rows(session, stage_id)]
        assignment = await assignment_of(session, stage_id)
        table = await score_table(session, stage_id, stage.criterion_names, assignment.pairs)
        return fairness_report(stage, entries, table, chair_ordering=json.loads(row.chair_ordering_json))


def as_json(value: Any) -> Any:
    """Dataclass reports as plain JSON values."""
    from dataclasses import asdict, is_dataclass

    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
