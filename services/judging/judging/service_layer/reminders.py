"""Reminders: once per open stage, when its deadline is near, a JurorReminderDue for each juror with
entries still unscored. Claimed with a conditional UPDATE so several workers send each reminder once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kaleidoscope_shared.contracts import JurorReminderDue
from kaleidoscope_shared.observability.logging import get_logger
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.worker import BackgroundLoop, every

from ..adapters.tables import JurorRow, ScoreRow, StageRow
from ..domain import StageStatus, stage_progress
from . import audit
from .errors import Refused
from .jury import sealed_personal_link
from .loading import assignment_of, get_stage
from .sql import rows_changed
from .stage_definitions import stage_from_definition

log = get_logger(__name__)


async def send_due_reminders(runtime: ServiceRuntime, lead: timedelta, now: datetime | None = None) -> int:
    """Stage a reminder per juror with missing scores for open stages whose deadline is within `lead`."""
    now = now or datetime.now(UTC)
    async with runtime.sessions() as session:
        open_ids = [
            r
            for (r,) in await session.execute(
                select(col(StageRow.id)).where(
                    col(StageRow.status) == StageStatus.OPEN, col(StageRow.reminded_at).is_(None)
                )
            )
        ]
    sent = 0
    for stage_id in open_ids:
        sent += await _remind_stage(runtime, stage_id, lead, now)
    return sent


async def _remind_stage(runtime: ServiceRuntime, stage_id: uuid.UUID, lead: timedelta, now: datetime) -> int:
    async with runtime.sessions() as session, session.begin():
        row = await session.get(StageRow, stage_id)
        deadline = stage_from_definition(row.definition).deadline if row else None
        if row is None or deadline is None or not (deadline - lead <= now < deadline):
            return 0
        claimed = await rows_changed(
            session,
            update(StageRow)
            .where(col(StageRow.id) == stage_id, col(StageRow.reminded_at).is_(None))
            .values(reminded_at=now),
        )
        if claimed != 1:
            return 0
        return len(await _stage_reminders(runtime, session, row, deadline))


async def remind_now(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> list[uuid.UUID]:
    """The organiser's "remind now": a JurorReminderDue for every juror with entries still unscored
    in an open stage, whatever the time (the automatic reminder near the deadline still comes)."""
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        row = await get_stage(session, contest_id, stage_id)
        if row.status != StageStatus.OPEN:
            raise Refused(f"Stage '{row.name}' is {row.status}; reminders are sent while it is open.")
        deadline = stage_from_definition(row.definition).deadline
        if deadline is None:
            raise Refused(f"Stage '{row.name}' has no deadline; a reminder tells the jurors their deadline.")
        reminded = await _stage_reminders(runtime, session, row, deadline)
        await audit.append(session, head, "reminders_sent", {"stage_id": stage_id, "juror_ids": reminded})
    return reminded


async def _stage_reminders(
    runtime: ServiceRuntime, session: AsyncSession, row: StageRow, deadline: datetime
) -> list[uuid.UUID]:
    """Stage a JurorReminderDue per juror with assigned entries still unscored; their ids."""
    scored = await session.execute(
        select(col(ScoreRow.juror_id), col(ScoreRow.entry_id)).where(col(ScoreRow.stage_id) == row.id)
    )
    progress = stage_progress(await assignment_of(session, row.id), ((str(j), str(e)) for j, e in scored))
    reminded = []
    for line in progress.jurors:
        if not line.missing:
            continue
        juror = await session.get(JurorRow, uuid.UUID(line.juror_id))
        assert juror is not None
        await runtime.outbox.add(
            session,
            JurorReminderDue(
                contest_id=row.contest_id,
                stage_id=row.id,
                stage_name=row.name,
                juror_id=juror.id,
                juror_name=juror.name,
                juror_email=juror.email,
                deadline=deadline,
                missing_entry_ids=[uuid.UUID(e) for e in line.missing],
                language=juror.language,
                sealed_personal_link=sealed_personal_link(runtime.settings, juror.id, juror.link_generation),
            ),
            contest_id=row.contest_id,
        )
        reminded.append(juror.id)
    return reminded


def reminder_loop(runtime: ServiceRuntime, lead: timedelta, interval_s: float) -> BackgroundLoop:
    """A worker background loop: look for due reminders every `interval_s` until stopped."""
    return every(interval_s, lambda: send_due_reminders(runtime, lead), name="reminders")
