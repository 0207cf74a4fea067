"""Where each entry stands in judging, for its participant: from judging's StageClosed and WinnerDeclared.

submitted → advanced (to the next stage) / not_advanced → winner (of a nomination, with its place
and prizes). A special mention of the jury (WinnerDeclared's `special_mentions`) is kept in
`progress_detail["special_mention"]` whatever the entry's progress, and survives later updates.
Events of different streams may arrive in any order and may repeat; each update is applied only if it
moves the entry forward (a later stage, or a win), so applying one twice, or late, changes nothing.
"""

from __future__ import annotations

import uuid

from kaleidoscope_shared.contracts import StageClosed, WinnerDeclared

from ..adapters.repository import SqlRepository
from ..domain.contest import ContestStatus
from ..domain.lifecycle import announce_results

WINNER = "winner"
KEPT = ("special_mention",)
"""Details no later progress replaces: they come from the jury's decision, not from a stage."""


def _kept(detail: dict[str, object]) -> dict[str, object]:
    return {key: detail[key] for key in KEPT if key in detail}


async def record_stage_closed(repository: SqlRepository, event: StageClosed) -> None:
    """Mark every entry of a closed stage as advanced or not; the last stage announces the results."""
    rows = {row.id: row for row in await repository.entry_rows_by_id(r.entry_id for r in event.results)}
    for result in event.results if not event.is_last else ():
        row = rows.get(result.entry_id)
        if row is None or row.progress == WINNER:
            continue
        if int(row.progress_detail.get("stage_position", 0)) > event.position:
            continue  # a later stage was already recorded
        row.progress = "advanced" if result.advanced else "not_advanced"
        row.progress_detail = {
            "stage_id": str(event.stage_id),
            "stage": event.name,
            "stage_position": event.position,
            "rank": result.rank,
            "reason": result.reason,
            **_kept(row.progress_detail),
        }
    if event.is_last:
        await _announce_results(repository, event.contest_id)


async def record_winner_declared(repository: SqlRepository, event: WinnerDeclared) -> None:
    """Mark the placed entries as winners of their nomination, with their prizes, and note the jury's
    special mentions; results once every nomination has a winner."""
    contest = await repository.get_contest(event.contest_id)
    nomination = contest.nomination(event.nomination_code) if contest else None
    placements = {p.entry_id: p for p in event.placements}
    mentions = {m.entry_id: m.text for m in event.special_mentions}
    for row in await repository.entry_rows_by_id({*placements, *mentions}):
        detail = dict(row.progress_detail)
        if row.id in placements:
            row.progress = WINNER
            detail = {
                "stage_id": str(event.stage_id),
                "nomination_code": event.nomination_code,
                "nomination": nomination.title if nomination else event.nomination_code,
                "place": placements[row.id].place,
                "prizes": [prize.model_dump(mode="json") for prize in placements[row.id].prizes],
                **_kept(detail),
            }
        if row.id in mentions:
            detail["special_mention"] = mentions[row.id]
        row.progress_detail = detail  # a new dict: the JSON column sees the change
    await repository.session.flush()
    if contest is not None:
        rows = await repository.all_entry_rows(contest.id)
        won = {row.nomination_code for row in rows if row.progress == WINNER}
        if contest.nomination_codes <= won:
            await _announce_results(repository, contest.id)


async def _announce_results(repository: SqlRepository, contest_id: uuid.UUID) -> None:
    contest = await repository.get_contest(contest_id)
    if contest is not None and contest.status is ContestStatus.SUBMISSIONS_CLOSED:
        await repository.change_contest_status(
            announce_results(contest), expected=ContestStatus.SUBMISSIONS_CLOSED
        )
