"""The chair's decision: the order of entries the tie-break chain could not separate."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlmodel import col

from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import StageEntryRow, StageRow
from ..domain import StageStatus
from . import audit
from .errors import Invalid, Refused
from .loading import get_stage


async def order_tied_entries(
    runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID, entry_ids: list[uuid.UUID]
) -> StageRow:
    """Record the chair's ordering (best first) for the next close of this open stage."""
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        row = await get_stage(session, contest_id, stage_id)
        if row.status != StageStatus.OPEN:
            raise Refused(f"Stage '{row.name}' is {row.status}; the chair orders ties of an open stage.")
        taken = {
            e
            for (e,) in await session.execute(
                select(col(StageEntryRow.entry_id)).where(col(StageEntryRow.stage_id) == stage_id)
            )
        }
        unknown = [str(e) for e in entry_ids if e not in taken]
        if unknown or len(set(entry_ids)) != len(entry_ids):
            raise Invalid(f"List each entry of the stage at most once; not in '{row.name}': {unknown}.")
        row.chair_ordering = [str(e) for e in entry_ids]
        await audit.append(
            session, head, "chair_decision", {"stage_id": stage_id, "entry_ids": [str(e) for e in entry_ids]}
        )
    return row
