"""What a juror reads: the stages of their contest with their own progress, and one assigned entry whole.

An entry's content is shown only to a juror assigned to it (never to one with a conflict) while its
stage is open; any other entry, known or not, is answered with the same 404, so a juror learns nothing
about entries that are not theirs. Attachments come with a short-lived ENTRY_FILE grant that
submissions, which keeps the files, checks before serving one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import col

from kaleidoscope_shared.grants import ENTRY_FILE, issue_grant
from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import AssignmentRow, ConflictRow, EntryCopy, ScoreRow, StageRow
from ..domain import StageKind, StageStatus
from .commands import DeclareStage
from .errors import NotFound, Refused
from .loading import get_stage
from .ports import JurorRecord
from .scoring import scoring_refusal
from .stages import stages_of

FILE_GRANT_TTL_S = 900


@dataclass(frozen=True)
class JurorStage:
    """One stage as the juror sees it, with their own progress and what they may score now."""

    row: StageRow
    definition: DeclareStage
    assigned: int
    scored: int
    scorable_entry_ids: list[uuid.UUID]
    scoring_note: str | None
    defended_entry_ids: list[uuid.UUID] = field(default_factory=list)


async def stages_for_juror(
    runtime: ServiceRuntime, juror: JurorRecord, now: datetime | None = None
) -> list[JurorStage]:
    """Every stage of the juror's contest in order (declared, open, closed), with their assignments."""
    now = now or datetime.now(UTC)
    async with runtime.sessions() as session:
        rows = await stages_of(session, juror.contest_id)
        assigned: dict[uuid.UUID, list[uuid.UUID]] = {}
        for stage_id, entry_id in await session.execute(
            select(col(AssignmentRow.stage_id), col(AssignmentRow.entry_id))
            .where(col(AssignmentRow.juror_id) == juror.id)
            .order_by(col(AssignmentRow.entry_id))
        ):
            assigned.setdefault(stage_id, []).append(entry_id)
        scored = dict(
            (
                await session.execute(
                    select(col(ScoreRow.stage_id), func.count())
                    .join(
                        AssignmentRow,
                        and_(
                            col(AssignmentRow.stage_id) == col(ScoreRow.stage_id),
                            col(AssignmentRow.juror_id) == col(ScoreRow.juror_id),
                            col(AssignmentRow.entry_id) == col(ScoreRow.entry_id),
                        ),
                    )
                    .where(col(ScoreRow.juror_id) == juror.id)
                    .group_by(col(ScoreRow.stage_id))
                )
            ).all()
        )
    return [_juror_stage(row, assigned.get(row.id, []), int(scored.get(row.id, 0)), now) for row in rows]


def _juror_stage(row: StageRow, assigned: list[uuid.UUID], scored: int, now: datetime) -> JurorStage:
    scorable = [e for e in assigned if scoring_refusal(row, now, e) is None]
    note = scoring_refusal(row, now)
    if note is None and not assigned:
        note = "No entries are assigned to you in this stage."
    elif note is None and not scorable:
        note = "Entries of a final are scored during or after their defence; none of yours has started yet."
    return JurorStage(
        row=row,
        definition=DeclareStage.model_validate(row.definition),
        assigned=len(assigned),
        scored=scored,
        scorable_entry_ids=scorable,
        scoring_note=note,
        defended_entry_ids=[uuid.UUID(e) for e in row.defended] if row.kind == StageKind.FINAL else [],
    )


@dataclass(frozen=True)
class EntryContent:
    """An assigned entry as its juror reads it; `authors` is None in a blind stage."""

    id: uuid.UUID
    stage_id: uuid.UUID
    nomination_code: str
    title: str
    annotation: str
    links: list[str]
    authors: list[dict[str, str]] | None
    attachments: list[dict[str, Any]]
    scored: bool
    withdrawn: bool


async def entry_for_juror(
    runtime: ServiceRuntime, juror: JurorRecord, stage_id: uuid.UUID, entry_id: uuid.UUID
) -> EntryContent:
    """The entry's whole content, for a juror assigned to it, without a conflict, in an open stage."""
    async with runtime.sessions() as session:
        row = await get_stage(session, juror.contest_id, stage_id)
        if row.status != StageStatus.OPEN:
            when = "has not opened yet" if row.status == StageStatus.DECLARED else "is closed"
            raise Refused(
                f"Stage '{row.name}' {when}: its entries can be read only while it is open.",
                stage_status=row.status,
            )
        found = (
            await session.execute(
                select(EntryCopy, ScoreRow)
                .join(
                    AssignmentRow,
                    and_(
                        col(AssignmentRow.entry_id) == col(EntryCopy.id),
                        col(AssignmentRow.stage_id) == stage_id,
                        col(AssignmentRow.juror_id) == juror.id,
                    ),
                )
                .outerjoin(
                    ScoreRow,
                    and_(
                        col(ScoreRow.stage_id) == stage_id,
                        col(ScoreRow.juror_id) == juror.id,
                        col(ScoreRow.entry_id) == col(EntryCopy.id),
                    ),
                )
                .where(col(EntryCopy.id) == entry_id, col(EntryCopy.contest_id) == juror.contest_id)
            )
        ).one_or_none()
        conflicted = await session.scalar(
            select(col(ConflictRow.id)).where(
                col(ConflictRow.juror_id) == juror.id, col(ConflictRow.entry_id) == entry_id
            )
        )
    if found is None or conflicted is not None:
        raise NotFound(f"No entry {entry_id} is assigned to you in stage '{row.name}'.")
    entry, score = found
    return EntryContent(
        id=entry.id,
        stage_id=stage_id,
        nomination_code=entry.nomination_code,
        title=entry.title,
        annotation=entry.annotation,
        links=list(entry.links),
        authors=None if row.blind else entry.authors,
        attachments=[{**a, "grant": file_grant(runtime, entry.id, a["key"])} for a in entry.attachments],
        scored=score is not None,
        withdrawn=entry.withdrawn,
    )


def file_grant(runtime: ServiceRuntime, entry_id: uuid.UUID, key: str) -> str | None:
    """The grant to fetch one attachment from submissions for FILE_GRANT_TTL_S; None for a key a grant
    cannot name (a grant's subject holds no dots)."""
    try:
        return issue_grant(
            runtime.settings.grant_key.get_secret_value(), ENTRY_FILE, f"{entry_id}:{key}", FILE_GRANT_TTL_S
        )
    except ValueError:
        return None
