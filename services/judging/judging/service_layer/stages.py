"""Declaring a contest's stages in order, and opening one: its entries, assignment and events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kaleidoscope_shared.contracts import JurorAssigned, StageOpened
from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import (
    AssignmentRow,
    ContestCopy,
    EntryCopy,
    JurorRow,
    ResultRow,
    StageEntryRow,
    StageRow,
)
from ..domain import Assignment, ContestStages, InvalidStageDefinition, StageKind, StageStatus, assign_jurors
from . import audit
from .commands import DeclareStage
from .errors import Invalid, Refused
from .jury import sealed_personal_link
from .loading import conflict_policy, entry_of, get_contest, get_stage, juror_of, jurors_of
from .sql import rows_changed
from .stage_definitions import stage_from_declaration, stage_from_definition


async def declare_stage(runtime: ServiceRuntime, contest_id: uuid.UUID, command: DeclareStage) -> StageRow:
    """Append a stage to the contest's list; a final must come last and nothing follows it."""
    try:
        stage = stage_from_declaration(command)
    except InvalidStageDefinition as error:
        raise Invalid(str(error)) from None
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        existing = await stages_of(session, contest_id)
        try:
            ContestStages((*(stage_from_definition(s.definition) for s in existing), stage))
        except InvalidStageDefinition as error:
            raise Invalid(str(error)) from None
        row = StageRow(
            id=uuid.uuid4(),
            contest_id=contest_id,
            position=len(existing) + 1,
            name=command.name,
            kind=command.kind,
            blind=command.blind,
            definition=command.model_dump(mode="json"),
        )
        session.add(row)
        await audit.append(
            session,
            head,
            "stage_declared",
            {"stage_id": row.id, "definition": command.model_dump(mode="json")},
        )
    return row


async def replace_stage(
    runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID, command: DeclareStage
) -> StageRow:
    """Replace a declared, not yet opened stage's definition; its place in the order stays."""
    try:
        stage = stage_from_declaration(command)
    except InvalidStageDefinition as error:
        raise Invalid(str(error)) from None
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        row = await _declared_stage(session, contest_id, stage_id, "replaced")
        existing = await stages_of(session, contest_id)
        try:
            ContestStages(
                tuple(stage if s.id == row.id else stage_from_definition(s.definition) for s in existing)
            )
        except InvalidStageDefinition as error:
            raise Invalid(str(error)) from None
        row.name, row.kind, row.blind = command.name, command.kind, command.blind
        row.definition = command.model_dump(mode="json")
        session.add(row)
        await audit.append(
            session,
            head,
            "stage_replaced",
            {"stage_id": row.id, "definition": command.model_dump(mode="json")},
        )
    return row


async def remove_stage(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> None:
    """Remove a declared, not yet opened stage; the stages declared after it move up one place."""
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        row = await _declared_stage(session, contest_id, stage_id, "removed")
        rest = [s for s in await stages_of(session, contest_id) if s.id != row.id]
        try:
            ContestStages(tuple(stage_from_definition(s.definition) for s in rest))
        except InvalidStageDefinition as error:
            raise Invalid(str(error)) from None
        await session.delete(row)
        await session.flush()
        for later in (s for s in rest if s.position > row.position):  # in order: each place is free
            later.position -= 1
            session.add(later)
            await session.flush()
        await audit.append(session, head, "stage_removed", {"stage_id": row.id, "name": row.name})


async def _declared_stage(
    session: AsyncSession, contest_id: uuid.UUID, stage_id: uuid.UUID, verb: str
) -> StageRow:
    row = await get_stage(session, contest_id, stage_id)
    if row.status != StageStatus.DECLARED:
        raise Refused(f"The stage is {row.status}: only a stage that has not been opened can be {verb}.")
    return row


async def stages_of(session: AsyncSession, contest_id: uuid.UUID) -> list[StageRow]:
    rows = await session.execute(
        select(StageRow).where(col(StageRow.contest_id) == contest_id).order_by(col(StageRow.position))
    )
    return list(rows.scalars())


async def open_stage(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> StageRow:
    """Open a declared stage: take its entries, assign jurors, emit StageOpened and a JurorAssigned per juror."""
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        row = await get_stage(session, contest_id, stage_id)
        claimed = await rows_changed(
            session,
            update(StageRow)
            .where(col(StageRow.id) == stage_id, col(StageRow.status) == StageStatus.DECLARED)
            .values(status=StageStatus.OPEN, opened_at=datetime.now(UTC)),
        )
        if claimed != 1:
            raise Refused(f"Stage '{row.name}' is {row.status}; only a declared stage can be opened.")
        contest = await get_contest(session, contest_id)
        entries = await _entries_taken_into(session, contest, row)
        stage = stage_from_definition(row.definition)
        jurors = [juror_of(j) for j in await jurors_of(session, contest_id)]
        if not jurors:
            raise Refused("The contest has no jurors yet; register the jury before opening a stage.")
        domain_entries = [entry_of(e) for e in entries]
        assignment = assign_jurors(
            stage.assignment, jurors, domain_entries, await conflict_policy(session, contest)
        )
        session.add_all(StageEntryRow(stage_id=stage_id, entry_id=e.id) for e in entries)
        session.add_all(
            AssignmentRow(stage_id=stage_id, juror_id=uuid.UUID(j), entry_id=uuid.UUID(e))
            for j, e in assignment.pairs
        )
        await session.refresh(row)
        if row.kind == StageKind.FINAL:
            row.running_order = [
                str(e.id) for e in sorted(entries, key=lambda e: (e.nomination_code, str(e.id)))
            ]
        await audit.append(
            session,
            head,
            "stage_opened",
            {
                "stage_id": stage_id,
                "entry_ids": sorted(str(e.id) for e in entries),
                "assignments": len(assignment.pairs),
                "shortfalls": [s.reason for s in assignment.shortfalls],
            },
        )
        await _announce_opening(
            runtime, session, row, [e.id for e in entries], assignment, await jurors_of(session, contest_id)
        )
    return row


async def _entries_taken_into(session: AsyncSession, contest: ContestCopy, row: StageRow) -> list[EntryCopy]:
    if row.position == 1:
        if not contest.submissions_closed:
            raise Refused(
                "Submissions are still open; stage 1 opens after SubmissionsClosed fixes its entries."
            )
        query = select(EntryCopy).where(
            col(EntryCopy.contest_id) == contest.id,
            col(EntryCopy.in_submissions_list),
            ~col(EntryCopy.withdrawn),
        )
        return list((await session.execute(query.order_by(col(EntryCopy.id)))).scalars())
    previous = (
        await session.execute(
            select(StageRow).where(
                col(StageRow.contest_id) == contest.id, col(StageRow.position) == row.position - 1
            )
        )
    ).scalar_one()
    if previous.status != StageStatus.CLOSED:
        raise Refused(
            f"Stage '{previous.name}' must close before '{row.name}' opens: it takes the entries that advance."
        )
    query = (
        select(EntryCopy)
        .join(ResultRow, col(ResultRow.entry_id) == col(EntryCopy.id))
        .where(col(ResultRow.stage_id) == previous.id, col(ResultRow.advanced), ~col(EntryCopy.withdrawn))
    )
    return list((await session.execute(query.order_by(col(EntryCopy.id)))).scalars())


async def _announce_opening(
    runtime: ServiceRuntime,
    session: AsyncSession,
    row: StageRow,
    entry_ids: list[uuid.UUID],
    assignment: Assignment,
    jurors: list[JurorRow],
) -> None:
    stage = stage_from_definition(row.definition)
    await runtime.outbox.add(
        session,
        StageOpened(
            contest_id=row.contest_id,
            stage_id=row.id,
            name=row.name,
            kind=row.kind,
            position=row.position,
            deadline=stage.deadline,
            entry_ids=entry_ids,
        ),
        contest_id=row.contest_id,
    )
    await runtime.outbox.add_all(
        session,
        (
            JurorAssigned(
                contest_id=row.contest_id,
                stage_id=row.id,
                stage_name=row.name,
                juror_id=juror.id,
                juror_name=juror.name,
                juror_email=juror.email,
                entry_ids=[uuid.UUID(e) for e in assignment.entries_of(str(juror.id))],
                deadline=stage.deadline,
                language=juror.language,
                sealed_personal_link=sealed_personal_link(runtime.settings, juror.id, juror.link_generation),
            )
            for juror in jurors
        ),
        contest_id=row.contest_id,
    )
