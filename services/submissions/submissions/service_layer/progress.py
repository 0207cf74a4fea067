"""Where each entry stands in judging, for its participant, and when the contest's results go public:
from judging's StageClosed, WinnerDeclared and ContestFinished.

submitted → advanced (to the next stage) / not_advanced → winner (of a nomination, with its place
and prizes). A special mention of the jury (WinnerDeclared's `special_mentions`) is kept in
`progress_detail["special_mention"]` whatever the entry's progress, and survives later updates.
Events of different streams may arrive in any order and may repeat; each update is applied only if it
moves the entry forward (a later stage, or a win), so applying one twice, or late, changes nothing.

The results go public on ContestFinished and on nothing else: it carries every nomination's outcome
(the same as the WinnerDeclared events), which is recorded in the same transaction that announces the
results, so the public list is never seen with a winner missing, whichever stream delivers first.
"""

from __future__ import annotations

import uuid

from kaleidoscope_shared.bus.consumer import RetryLater
from kaleidoscope_shared.contracts import ContestFinished, NominationOutcome, StageClosed, WinnerDeclared

from ..adapters.repository import SqlRepository
from ..domain.contest import Contest, ContestStatus
from ..domain.lifecycle import announce_results

WINNER = "winner"
KEPT = ("special_mention",)
"""Details no later progress replaces: they come from the jury's decision, not from a stage."""


def _kept(detail: dict[str, object]) -> dict[str, object]:
    return {key: detail[key] for key in KEPT if key in detail}


async def record_stage_closed(repository: SqlRepository, event: StageClosed) -> None:
    """Mark every entry of a closed stage as advanced or not (the last stage's outcome is its winners)."""
    if event.is_last:
        return
    rows = {row.id: row for row in await repository.entry_rows_by_id(r.entry_id for r in event.results)}
    for result in event.results:
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


async def record_winner_declared(repository: SqlRepository, event: WinnerDeclared) -> None:
    """Mark the placed entries as winners of their nomination, with their prizes, and note the jury's
    special mentions; the results wait for ContestFinished."""
    contest = await repository.get_contest(event.contest_id)
    await _record_outcome(repository, contest, event.stage_id, event)


async def record_contest_finished(repository: SqlRepository, event: ContestFinished) -> None:
    """Record every nomination's outcome and announce the results, in one transaction.

    A ContestFinished from a producer that did not carry the outcomes yet is applied only once every
    winner it names is recorded from its WinnerDeclared; until then it is tried again later."""
    contest = await repository.get_contest(event.contest_id)
    if contest is None:
        return
    if event.outcomes and event.stage_id is not None:
        for outcome in event.outcomes:
            await _record_outcome(repository, contest, event.stage_id, outcome)
    else:
        rows = await repository.entry_rows_by_id(event.winner_entry_ids)
        waiting = sorted(str(row.id) for row in rows if row.progress != WINNER)
        if waiting:
            raise RetryLater(
                f"ContestFinished names winners whose WinnerDeclared is not here yet: {waiting[:5]}"
            )
    await _announce_results(repository, contest)


async def _record_outcome(
    repository: SqlRepository,
    contest: Contest | None,
    stage_id: uuid.UUID,
    outcome: WinnerDeclared | NominationOutcome,
) -> None:
    nomination = contest.nomination(outcome.nomination_code) if contest else None
    placements = {p.entry_id: p for p in outcome.placements}
    mentions = {m.entry_id: m.text for m in outcome.special_mentions}
    for row in await repository.entry_rows_by_id({*placements, *mentions}):
        detail = dict(row.progress_detail)
        if row.id in placements:
            row.progress = WINNER
            detail = {
                "stage_id": str(stage_id),
                "nomination_code": outcome.nomination_code,
                "nomination": nomination.title if nomination else outcome.nomination_code,
                "place": placements[row.id].place,
                "prizes": [prize.model_dump(mode="json") for prize in placements[row.id].prizes],
                **_kept(detail),
            }
        if row.id in mentions:
            detail["special_mention"] = mentions[row.id]
        row.progress_detail = detail  # a new dict: the JSON column sees the change
    await repository.session.flush()


async def _announce_results(repository: SqlRepository, contest: Contest) -> None:
    if contest.status is ContestStatus.SUBMISSIONS_CLOSED:
        await repository.change_contest_status(
            announce_results(contest), expected=ContestStatus.SUBMISSIONS_CLOSED
        )
