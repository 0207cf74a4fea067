"""The repository port on judging's SQL tables: the reads the use cases on ports make."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..service_layer.ports import AuditLogRecord, EntryRecord, JurorRecord, StageRecord
from .tables import (
    AssignmentRow,
    AuditHeadRow,
    AuditRow,
    ContestCopy,
    EntryCopy,
    JurorRow,
    ScoreRow,
    StageRow,
)


class SqlRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def has_contest(self, contest_id: uuid.UUID) -> bool:
        return await self.session.get(ContestCopy, contest_id) is not None

    async def get_stage(self, stage_id: uuid.UUID) -> StageRecord | None:
        return await self.session.get(StageRow, stage_id)

    async def stages(self, contest_id: uuid.UUID) -> list[StageRecord]:
        rows = await self.session.execute(
            select(StageRow).where(col(StageRow.contest_id) == contest_id).order_by(col(StageRow.position))
        )
        return list(rows.scalars())

    async def jurors(self, contest_id: uuid.UUID) -> list[JurorRecord]:
        rows = await self.session.execute(
            select(JurorRow).where(col(JurorRow.contest_id) == contest_id).order_by(col(JurorRow.id))
        )
        return list(rows.scalars())

    async def assigned_entries(self, stage_id: uuid.UUID, juror_id: uuid.UUID) -> list[EntryRecord]:
        rows = await self.session.execute(
            select(EntryCopy)
            .join(AssignmentRow, col(AssignmentRow.entry_id) == col(EntryCopy.id))
            .where(col(AssignmentRow.stage_id) == stage_id, col(AssignmentRow.juror_id) == juror_id)
            .order_by(col(EntryCopy.nomination_code), col(EntryCopy.title))
        )
        return list(rows.scalars())

    async def scored_entry_ids(self, stage_id: uuid.UUID, juror_id: uuid.UUID) -> set[uuid.UUID]:
        rows = await self.session.execute(
            select(col(ScoreRow.entry_id)).where(
                col(ScoreRow.stage_id) == stage_id, col(ScoreRow.juror_id) == juror_id
            )
        )
        return {entry_id for (entry_id,) in rows}

    async def entries(self, contest_id: uuid.UUID) -> list[EntryRecord]:
        rows = await self.session.execute(
            select(EntryCopy).where(col(EntryCopy.contest_id) == contest_id).order_by(col(EntryCopy.title))
        )
        return list(rows.scalars())

    async def audit_records(
        self, contest_id: uuid.UUID, *, offset: int = 0, limit: int | None = None, kind: str | None = None
    ) -> list[AuditLogRecord]:
        query = select(AuditRow).where(col(AuditRow.contest_id) == contest_id)
        if kind is not None:
            query = query.where(col(AuditRow.kind) == kind)
        rows = await self.session.execute(query.order_by(col(AuditRow.sequence)).offset(offset).limit(limit))
        return list(rows.scalars())

    async def audit_record_count(self, contest_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(AuditRow).where(col(AuditRow.contest_id) == contest_id)
        )
        return int(count or 0)

    async def audit_head(self, contest_id: uuid.UUID) -> tuple[int, str] | None:
        head = await self.session.get(AuditHeadRow, contest_id)
        return None if head is None else (head.sequence, head.hash)
