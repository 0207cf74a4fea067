"""The final's decisions: the organiser's awards and the WinnerDeclared events per nomination."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kaleidoscope_shared.contracts import Placement, Prize, SpecialMention, WinnerDeclared
from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import StageRow
from ..domain import InvalidAward, NominationResult, StageKind, StageStatus
from . import audit
from .commands import SetAwards
from .errors import Invalid, NotFound, Refused
from .loading import get_stage
from .stage_definitions import awards_from_definition


async def set_awards(
    runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID, command: SetAwards
) -> StageRow:
    """Prizes per place and special mentions of a final, replacing any set before, until it closes."""
    awards = command.model_dump(mode="json")
    try:
        awards_from_definition(awards)
    except InvalidAward as error:
        raise Invalid(str(error)) from None
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        row = await get_stage(session, contest_id, stage_id)
        if row.kind != StageKind.FINAL or row.status == StageStatus.CLOSED:
            raise Refused(
                f"Awards belong to a final that has not closed; '{row.name}' is a {row.status} {row.kind}."
            )
        row.awards = awards
        await audit.append(
            session, head, "awards_set", {"stage_id": stage_id, "awards": command.model_dump(mode="json")}
        )
    return row


async def awards_of(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> SetAwards:
    """A final's awards as they were set (empty until set); a review has none (404)."""
    async with runtime.sessions() as session:
        row = await get_stage(session, contest_id, stage_id)
    if row.kind != StageKind.FINAL:
        raise NotFound(f"Stage '{row.name}' is a review; awards belong to a final.")
    return SetAwards.model_validate(row.awards)


async def winner_events(
    session: AsyncSession, row: StageRow, results: tuple[NominationResult, ...], head: audit.AuditHead
) -> list[WinnerDeclared]:
    """One WinnerDeclared per nomination, each recorded in the audit log (the caller emits them)."""
    now = datetime.now(UTC)
    events = []
    for result in results:
        event = WinnerDeclared(
            contest_id=row.contest_id,
            stage_id=row.id,
            nomination_code=result.nomination_code,
            placements=[
                Placement(
                    entry_id=uuid.UUID(p.entry_id),
                    place=p.place,
                    prizes=[
                        Prize(
                            kind=z.kind.value,
                            description=z.description if not z.sponsor else f"{z.description} ({z.sponsor})",
                            amount=z.amount,
                            currency=z.currency,
                        )
                        for z in p.prizes
                    ],
                )
                for p in result.placements
            ],
            special_mentions=[
                SpecialMention(entry_id=uuid.UUID(m.entry_id), text=m.text) for m in result.special_mentions
            ],
            declared_at=now,
        )
        await audit.append(session, head, "winner_declared", event.model_dump(mode="json"))
        events.append(event)
    return events
