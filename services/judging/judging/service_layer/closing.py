"""Closing a stage: rank with the domain, record every entry's outcome, emit StageClosed exactly once.

The close claims the stage with `UPDATE … WHERE status = 'open'` in the same transaction that writes
the results and stages the events: of two replicas closing at once, one claims the row, the other
updates nothing and is told the stage is closed. A tie the chain cannot break rolls everything back
(the stage stays open) and is reported with the tied entries until the chair orders them.

The audit log's head after the `stage_closed` record (how many records, the last one's hash) goes out
in StageClosed and stays in the stage's row: the public heads are served from there, not re-read from
the log, so that a log rewritten later cannot change what was published.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kaleidoscope_shared.contracts import (
    ContestFinished,
    EntryResult,
    NominationOutcome,
    StageClosed,
    WinnerDeclared,
)
from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import ContestCopy, EntryCopy, ResultRow, StageRow
from ..domain import (
    Entry,
    InvalidAward,
    ScoreTable,
    Stage,
    StageKind,
    StageRanking,
    StageStatus,
    UnresolvedTie,
    declare_results,
    rank_stage,
)
from ..domain.entries import entries_in_play
from ..domain.entry_statistics import compute_entry_statistics
from . import audit
from .commands import DeclareStage
from .errors import Invalid, Refused
from .loading import assignment_of, entry_of, get_stage, libraries_of, score_table, stage_entry_rows
from .sql import rows_changed
from .stage_definitions import awards_from_definition, stage_from_definition
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
            .where(col(StageRow.id) == stage_id, col(StageRow.status) == StageStatus.OPEN)
            .values(status=StageStatus.CLOSED, closed_at=now),
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
        row.audit_head_records, row.audit_head_hash = head.sequence, head_hash  # what is published
        closed = _stage_closed(row, ranking, following, now, head_hash)
        finished = [await _finish_contest(session, row, winners, now)] if row.kind == StageKind.FINAL else []
        await runtime.outbox.add_all(session, [closed, *winners, *finished], contest_id=contest_id)
    return row


async def _rank(session: AsyncSession, row: StageRow) -> StageRanking:
    stage = stage_from_definition(row.definition)
    entries = [entry_of(e) for e in await stage_entry_rows(session, row.id)]
    assignment = await assignment_of(session, row.id)
    table = await score_table(session, row.id, stage.criterion_names, assignment.pairs)
    try:
        return rank_stage(stage, entries, table, chair_ordering=row.chair_ordering)
    except UnresolvedTie as tie:
        raise Refused(
            f"{tie} Record the chair's decision (PUT …/chair-ordering) and close again.",
            tied_entries=[list(group) for group in tie.tied_groups],
            where=list(tie.context),
            tied=_tied_entries(stage, entries, table, tie),
        ) from None


def _tied_entries(
    stage: Stage, entries: list[Entry], table: ScoreTable, tie: UnresolvedTie
) -> list[dict[str, Any]]:
    """Each tied entry by title and authors, with the figures the chain compared (what the chair sees)."""
    in_play = entries_in_play(entries)
    stats = compute_entry_statistics(stage, [e.entry_id for e in in_play], table, stage.normalisation)
    position = {e.entry_id: i for i, e in enumerate(in_play)}
    tied = []
    for group, where in zip(tie.tied_groups, tie.context, strict=True):
        for entry_id in group:
            entry, i = in_play[position[entry_id]], position[entry_id]
            tied.append(
                {
                    "entry_id": entry_id,
                    "title": entry.title,
                    "authors": [a.full_name for a in entry.authors],
                    "library": libraries_of(a.library for a in entry.authors),
                    "nomination_code": entry.nomination_code,
                    "where": where,
                    "aggregate": round(float(stats.aggregates[i]), 4),
                    "median": round(float(stats.medians[i]), 4),
                    "top_marks": int(stats.top_marks[i]),
                    "jurors": int(stats.juror_counts[i]),
                    "submitted_at": entry.submitted_at.isoformat(),
                }
            )
    return tied


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
    final = DeclareStage.model_validate(following.definition) if following else None
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
    """One WinnerDeclared per nomination of the contest, also for one with nobody in the final."""
    contest = await session.get(ContestCopy, row.contest_id)
    nominations = list(contest.nominations) if contest else []
    try:
        results = declare_results(ranking, awards_from_definition(row.awards), nominations)
    except InvalidAward as error:
        raise Invalid(str(error)) from None
    return await winner_events(session, row, results, head)


async def _finish_contest(
    session: AsyncSession, row: StageRow, winners: list[WinnerDeclared], now: datetime
) -> ContestFinished:
    """The contest is finished; the event repeats every nomination's outcome from its WinnerDeclared."""
    participants = await session.execute(
        select(col(EntryCopy.id)).where(
            col(EntryCopy.contest_id) == row.contest_id,
            col(EntryCopy.in_submissions_list),
            ~col(EntryCopy.withdrawn),
        )
    )
    await session.execute(
        update(ContestCopy).where(col(ContestCopy.id) == row.contest_id).values(finished=True)
    )
    return ContestFinished(
        contest_id=row.contest_id,
        finished_at=now,
        participant_entry_ids=sorted(i for (i,) in participants),
        winner_entry_ids=[p.entry_id for w in winners for p in w.placements],
        stage_id=row.id,
        outcomes=[
            NominationOutcome(
                nomination_code=w.nomination_code,
                placements=w.placements,
                special_mentions=w.special_mentions,
            )
            for w in winners
        ],
    )
