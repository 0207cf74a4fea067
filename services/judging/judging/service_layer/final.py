"""The public defence of a final: the running order, the entry defending now, and the hall's scoreboard.

Once the final has closed, the scoreboard is also its public results: each line's place with the
prizes of that place (cash with amount and currency, a sponsor's prize with the sponsor), each
line's special mention, and the list of special mentions.

A finalist's scores stay hidden until its defence ends; the scoreboard then shows the jurors'
provisional mean of weighted scores (the close decides places with the stage's own rules, and the
board shows them once the final has closed).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import EntryCopy, ResultRow, ScoreRow, StageEntryRow, StageRow
from ..domain import Prize, StageKind, StageStatus
from . import audit
from .errors import Invalid, NotFound, Refused
from .loading import get_stage
from .stage_definitions import awards_from_definition, stage_from_definition


async def _open_final(
    runtime: ServiceRuntime, session: Any, contest_id: uuid.UUID, stage_id: uuid.UUID
) -> StageRow:
    row = await get_stage(session, contest_id, stage_id)
    if row.kind != StageKind.FINAL:
        raise NotFound(f"Stage '{row.name}' is a review; defences belong to a final.")
    if row.status != StageStatus.OPEN:
        raise Refused(f"Final '{row.name}' is {row.status}; defences run while it is open.")
    return row


async def set_running_order(
    runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID, entry_ids: list[uuid.UUID]
) -> StageRow:
    """The order finalists defend in: every finalist exactly once."""
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        row = await _open_final(runtime, session, contest_id, stage_id)
        taken = {
            str(e)
            for (e,) in await session.execute(
                select(col(StageEntryRow.entry_id)).where(col(StageEntryRow.stage_id) == stage_id)
            )
        }
        given = [str(e) for e in entry_ids]
        if sorted(given) != sorted(taken):
            raise Invalid(f"The running order must list each of the {len(taken)} finalists exactly once.")
        row.running_order = given
        await audit.append(session, head, "running_order_set", {"stage_id": stage_id, "entry_ids": given})
    return row


async def start_defence(
    runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID, entry_id: uuid.UUID
) -> StageRow:
    """The entry now defending; a defence still running ends first."""
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        row = await _open_final(runtime, session, contest_id, stage_id)
        if str(entry_id) not in row.running_order:
            raise NotFound(f"Entry {entry_id} is not a finalist of '{row.name}'.")
        _end_current(row)
        row.defending_entry_id = entry_id
        await audit.append(session, head, "defence_started", {"stage_id": stage_id, "entry_id": entry_id})
    return row


async def end_defence(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> StageRow:
    """The current defence ends: its scores become visible on the scoreboard."""
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        row = await _open_final(runtime, session, contest_id, stage_id)
        ended = row.defending_entry_id
        if ended is None:
            raise Refused("No defence is running; start one first.")
        _end_current(row)
        await audit.append(session, head, "defence_ended", {"stage_id": stage_id, "entry_id": ended})
    return row


def _end_current(row: StageRow) -> None:
    if row.defending_entry_id is not None:
        defended = list(row.defended)  # a new list: the JSON column sees an assignment, not a mutation
        if str(row.defending_entry_id) not in defended:
            defended.append(str(row.defending_entry_id))
        row.defended, row.defending_entry_id = defended, None


async def scoreboard(runtime: ServiceRuntime, contest_id: uuid.UUID, stage_id: uuid.UUID) -> dict[str, Any]:
    """What the hall screen shows: the running order, who defends now, scores of ended defences, and
    once the final has closed each finalist's place."""
    async with runtime.sessions() as session:
        row = await get_stage(session, contest_id, stage_id)
        if row.kind != StageKind.FINAL:
            raise NotFound(f"Stage '{row.name}' is a review; the scoreboard belongs to a final.")
        stage = stage_from_definition(row.definition)
        entries: dict[Any, tuple[str, str]] = {
            entry_id: (title, nomination_code)
            for entry_id, title, nomination_code in await session.execute(
                select(col(EntryCopy.id), col(EntryCopy.title), col(EntryCopy.nomination_code))
                .join(StageEntryRow, col(StageEntryRow.entry_id) == col(EntryCopy.id))
                .where(col(StageEntryRow.stage_id) == stage_id)
            )
        }
        sheets: dict[str, list[float]] = {}
        for entry_id, marks in await session.execute(
            select(col(ScoreRow.entry_id), col(ScoreRow.marks)).where(col(ScoreRow.stage_id) == stage_id)
        ):
            weighted = sum(c.weight * float(marks[c.name]) for c in stage.criteria) / stage.total_weight
            sheets.setdefault(str(entry_id), []).append(weighted)
        places: dict[str, int | None] = {}
        if row.status == StageStatus.CLOSED:
            places = {
                str(entry_id): place
                for entry_id, place in await session.execute(
                    select(col(ResultRow.entry_id), col(ResultRow.place)).where(
                        col(ResultRow.stage_id) == stage_id
                    )
                )
            }
    defended = set(row.defended)
    awards = awards_from_definition(row.awards) if row.status == StageStatus.CLOSED else None
    lines = [
        _board_line(e, entries, sheets, e in defended or row.status == StageStatus.CLOSED, places)
        for e in row.running_order
    ]
    if awards is not None:
        mentions = {m.entry_id: m.text for m in awards.special_mentions}
        for line in lines:
            place = line["place"]
            prizes = awards.prizes_for(line["nomination_code"], place) if place is not None else ()
            line["prizes"] = [_prize(p) for p in prizes]
            line["special_mention"] = mentions.get(line["entry_id"])
    return {
        "contest_id": str(row.contest_id),
        "stage_id": str(row.id),
        "name": row.name,
        "status": row.status.value,
        "defending_entry_id": str(row.defending_entry_id) if row.defending_entry_id else None,
        "entries": lines,
        "special_mentions": (
            None
            if awards is None
            else [
                {
                    "entry_id": m.entry_id,
                    "title": entries.get(uuid.UUID(m.entry_id), ("", ""))[0],
                    "text": m.text,
                }
                for m in awards.special_mentions
            ]
        ),
    }


def _prize(prize: Prize) -> dict[str, Any]:
    return {
        "kind": prize.kind.value,
        "description": prize.description,
        "amount": None if prize.amount is None else str(prize.amount),
        "currency": prize.currency,
        "sponsor": prize.sponsor,
    }


def _board_line(
    entry_id: str,
    entries: dict[Any, tuple[str, str]],
    sheets: dict[str, list[float]],
    visible: bool,
    places: dict[str, int | None],
) -> dict[str, Any]:
    scores = sheets.get(entry_id, [])
    title, nomination_code = entries.get(uuid.UUID(entry_id), ("", ""))
    return {
        "entry_id": entry_id,
        "nomination_code": nomination_code,
        "title": title,
        "defended": visible,
        "sheets": len(scores) if visible else None,
        "mean": round(sum(scores) / len(scores), 4) if visible and scores else None,
        "place": places.get(entry_id),
    }


async def final_of(runtime: ServiceRuntime, contest_id: uuid.UUID) -> StageRow:
    """The contest's final stage (declared, open or closed); 404 while none is declared."""
    async with runtime.sessions() as session:
        row = (
            await session.execute(
                select(StageRow).where(
                    col(StageRow.contest_id) == contest_id, col(StageRow.kind) == StageKind.FINAL.value
                )
            )
        ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Contest {contest_id} has no final declared (or is not known to judging).")
    return row
