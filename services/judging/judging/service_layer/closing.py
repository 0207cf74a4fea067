"""Closing a stage: rank with the domain, record every entry's outcome, emit StageClosed exactly once.

The close claims the stage with `UPDATE … WHERE status = 'open'` in the same transaction that writes
the results and stages the events: of two replicas closing at once, one claims the row, the other
updates nothing and is told the stage is closed. A tie the chain cannot break rolls everything back
(the stage stays open) and is reported with the tied entries until the chair orders them.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kaleidoscope_shared.contracts import ContestFinished, EntryResult, StageClosed, WinnerDeclared
from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import ContestCopy, EntryCopy, ResultRow, StageRow
from ..domain import InvalidAward, StageKind, StageRanking, UnresolvedTie, declare_results, rank_stage
from . import audit
from .commands import DeclareStage
from .errors import Invalid, Refused
from .loading import assignment_of, entry_of, get_stage, score_table, stage_entry_rows
from .sql import rows_changed
from .stage_definitions import awards_from_json, stage_from_json
from .winners import winner_events


async def close_stage(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> StageRow:
    """Close an open stage once; the loser of a race, or a tie the chair must decide, is refused (409)."""
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        row = await get_stage(session, contest_id, stage_id)
        now = datetime.now(UTC)
        claimed = await rows_changed(
            session,
            update(StageRow)
            .where(col(StageRow.id) == stage_id, col(StageRow.status) == "open")
            .values(status="closed", closed_at=now),
        )
        if claimed != 1:
            raise Refused(
                f"Stage '{row.name}' is {row.status}; only an open stage can be closed.",
                stage_status=row.status,
            )
        await session.refresh(row)
        ranking = await _rank(session, row)
        session.add_all(_result_rows(stage_id, ranking))
        following = await _next_stage(session, contest_id, row.position)
        winners = await _declare_winners(session, row, ranking, head) if row.kind == StageKind.FINAL else []
        head_hash = await audit.append(
            session,
            head,
            "stage_closed",
            {"stage_id": stage_id, "outcomes": [_audited(o) for o in ranking.outcomes]},
        )
        closed = _stage_closed(row, ranking, following, now, head_hash)
        await runtime.outbox.add_all(session, [closed, *winners], contest_id=contest_id)
        if row.kind == StageKind.FINAL:
            await _finish_contest(runtime, session, contest_id, ranking, now)
    return row


async def _rank(session: AsyncSession, row: StageRow) -> StageRanking:
    stage = stage_from_json(row.definition_json)
    entries = [entry_of(e) for e in await stage_entry_rows(session, row.id)]
    assignment = await assignment_of(session, row.id)
    table = await score_table(session, row.id, stage.criterion_names, assignment.pairs)
    try:
        return rank_stage(stage, entries, table, chair_ordering=json.loads(row.chair_ordering_json))
    except UnresolvedTie as tie:
        raise Refused(
            f"{tie} Record the chair's decision (PUT …/chair-ordering) and close again.",
            tied_entries=[list(group) for group in tie.tied_groups],
            where=list(tie.context),
        ) from None


def _result_rows(stage_id: uuid.UUID, ranking: StageRanking) -> list[ResultRow]:
    return [
        ResultRow(
            stage_id=stage_id,
            entry_id=uuid.UUID(o.entry_id),
            nomination_code=o.nomination_code,
            aggregate=o.aggregate,
            rank=o.rank,
            advanced=o.advanced,
            place=o.place,
            decided_by=o.decided_by,
            reason=o.reason,
        )
        for o in ranking.outcomes
    ]


def _audited(outcome: object) -> dict[str, object]:
    fields = ("entry_id", "aggregate", "rank", "advanced", "place", "decided_by", "reason")
    return {name: getattr(outcome, name) for name in fields}


async def _next_stage(session: AsyncSession, contest_id: uuid.UUID, position: int) -> StageRow | None:
    return (
        await session.scalars(
            select(StageRow).where(
                col(StageRow.contest_id) == contest_id, col(StageRow.position) == position + 1
            )
        )
    ).one_or_none()


def _stage_closed(
    row: StageRow, ranking: StageRanking, following: StageRow | None, now: datetime, head_hash: str
) -> StageClosed:
    """The event; when a final follows, it says when and where its public defence is held."""
    final = DeclareStage.model_validate_json(following.definition_json) if following else None
    results = [
        EntryResult(
            entry_id=uuid.UUID(o.entry_id),
            nomination_code=o.nomination_code,
            aggregate=None if o.aggregate is None else Decimal(str(round(o.aggregate, 4))),
            rank=o.rank,
            advanced=o.advanced,
            reason=o.reason,
        )
        for o in ranking.outcomes
    ]
    return StageClosed(
        contest_id=row.contest_id,
        stage_id=row.id,
        name=row.name,
        kind=row.kind,
        position=row.position,
        is_last=following is None,
        closed_at=now,
        results=results,
        audit_head_hash=head_hash,
        final_date=final.held_at if final and final.kind == "final" else None,
        final_place=final.venue if final and final.kind == "final" else None,
    )


async def _declare_winners(
    session: AsyncSession, row: StageRow, ranking: StageRanking, head: audit.AuditHead
) -> list[WinnerDeclared]:
    try:
        results = declare_results(ranking, awards_from_json(row.awards_json))
    except InvalidAward as error:
        raise Invalid(str(error)) from None
    return await winner_events(session, row, results, head)


async def _finish_contest(
    runtime: ServiceRuntime,
    session: AsyncSession,
    contest_id: uuid.UUID,
    ranking: StageRanking,
    now: datetime,
) -> None:
    participants = await session.execute(
        select(col(EntryCopy.id)).where(
            col(EntryCopy.contest_id) == contest_id,
            col(EntryCopy.in_submissions_list),
            ~col(EntryCopy.withdrawn),
        )
    )
    winners = [uuid.UUID(o.entry_id) for o in ranking.outcomes if o.place is not None]
    await session.execute(update(ContestCopy).where(col(ContestCopy.id) == contest_id).values(finished=True))
    await runtime.outbox.add(
        session,
        ContestFinished(
            contest_id=contest_id,
            finished_at=now,
            participant_entry_ids=sorted(i for (i,) in participants),
            winner_entry_ids=winners,
        ),
        contest_id=contest_id,
    )
