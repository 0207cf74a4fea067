"""Routes the organiser reads: progress, results, fairness, the audit chain; and the entries judging knows."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from kaleidoscope_shared.http.openapi import problems

from ..service_layer import queries, reports
from ..service_layer.ports import EntryRecord
from .access import OrganiserOnly, RuntimeDep, UnitOfWorkDep
from .schemas import (
    AuditHead,
    AuditHeadChecked,
    AuditPage,
    AuditRecordPublic,
    AuditVerification,
    ResultPublic,
)

router = APIRouter(responses=problems(_409="The stage has no results yet."))
JSON_LINES = "application/jsonl"
"""The media type of an exported log (UTF-8 text, one JSON object a line)."""


@router.get("/contests/{contest_id}/stages/{stage_id}/progress", tags=["reports"], dependencies=OrganiserOnly)
async def progress(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> dict[str, Any]:
    """Scoring progress per juror and per entry: assigned, scored, and what is missing; each juror's
    name and whether they are `late` (the open stage's deadline passed with entries unscored)."""
    report, late, names = await reports.progress_of(runtime, contest_id, stage_id)
    jurors = [
        {**asdict(j), "juror_name": names.get(j.juror_id, ""), "late": j.juror_id in late}
        for j in report.jurors
    ]
    return {"complete": report.complete, "jurors": jurors, "entries": [asdict(e) for e in report.entries]}


@router.get(
    "/contests/{contest_id}/stages/{stage_id}/results",
    response_model=list[ResultPublic],
    tags=["reports"],
    dependencies=OrganiserOnly,
)
async def results(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> list[ResultPublic]:
    """Each entry, by title, authors and library: its aggregate, rank, whether it advanced (or its
    place), and the rule that decided."""
    return [
        ResultPublic(
            **ResultPublic.model_validate(n.result, from_attributes=True).model_dump(
                exclude={"title", "authors", "library"}
            ),
            title=n.title,
            authors=n.authors,
            library=n.library,
        )
        for n in await reports.results_of(runtime, contest_id, stage_id)
    ]


@router.get("/contests/{contest_id}/stages/{stage_id}/fairness", tags=["reports"], dependencies=OrganiserOnly)
async def fairness(contest_id: uuid.UUID, stage_id: uuid.UUID, runtime: RuntimeDep) -> dict[str, Any]:
    """Each juror's harshness, the jury's disagreement per entry, and whether normalising jurors
    would change who advances or wins."""
    return asdict(await reports.fairness_of(runtime, contest_id, stage_id))


@router.get(
    "/contests/{contest_id}/audit/verification",
    response_model=AuditVerification,
    tags=["reports"],
    dependencies=OrganiserOnly,
)
async def verify_audit(contest_id: uuid.UUID, unit_of_work: UnitOfWorkDep) -> AuditVerification:
    """Check the contest's hash-chained audit log, and against it every head the closed stages
    published (`/audit/heads`): names the first broken record, if any, and which heads passed."""
    verdict = await queries.audit_verification(unit_of_work, contest_id)
    return AuditVerification(
        records=verdict.records,
        first_broken_sequence=verdict.first_broken,
        intact=verdict.intact,
        heads=[
            AuditHeadChecked(
                stage_id=h.stage_id,
                stage_name=h.stage_name,
                records=h.records,
                audit_head_hash=h.hash,
                passed=h.passed,
                first_broken_sequence=h.first_broken,
            )
            for h in verdict.heads
            if h.stage_id is not None and h.stage_name is not None
        ],
    )


@router.get(
    "/contests/{contest_id}/audit/export",
    tags=["reports"],
    dependencies=OrganiserOnly,
    response_class=Response,
    responses={
        200: {
            "description": "The whole log, one JSON object a line (JSON Lines), in sequence order.",
            "content": {JSON_LINES: {"schema": {"type": "string"}}},
        }
    },
)
async def export_audit(contest_id: uuid.UUID, unit_of_work: UnitOfWorkDep) -> Response:
    """The contest's whole audit log to download, one line per record: `contest_id`, `recorded_at`,
    `sequence`, `kind`, `payload` (the exact text its hash covers), `previous_hash`, `hash`. Anyone
    given the file checks it against the public heads without a database: `python -m judging
    verify-audit --file <file> --head RECORDS:HASH`."""
    lines = await queries.audit_export(unit_of_work, contest_id)
    return Response(
        "".join(f"{line}\n" for line in lines).encode(),
        media_type=JSON_LINES,
        headers={
            "Content-Disposition": f'attachment; filename="audit-{contest_id}.jsonl"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/contests/{contest_id}/audit", response_model=AuditPage, tags=["reports"], dependencies=OrganiserOnly
)
async def audit_log(
    contest_id: uuid.UUID,
    unit_of_work: UnitOfWorkDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    """The contest's audit log in sequence order, a page at a time: each record's time, actor (the
    organiser's name from X-Kaleidoscope-Actor, a juror, or "system"), action, details and hash."""
    records, total = await queries.audit_page(unit_of_work, contest_id, offset, limit)
    return AuditPage(
        items=[
            AuditRecordPublic(
                sequence=r.sequence, at=r.at, actor=r.actor, action=r.action, details=r.details, hash=r.hash
            )
            for r in records
        ],
        total=total,
        offset=offset,
        limit=limit,
    )


@router.get("/contests/{contest_id}/audit/heads", response_model=list[AuditHead], tags=["reports"])
async def audit_heads(contest_id: uuid.UUID, unit_of_work: UnitOfWorkDep) -> list[AuditHead]:
    """Public: for every closed stage, the audit log's head hash and length when it closed (what its
    StageClosed published), kept in the stage's row at the close, so a log rewritten later does not
    change them. A copy of the log is genuine if its records 1…`records` chain and record number
    `records` has this hash (`python -m judging verify-audit --file <copy> --head <records>:<hash>`)."""
    return [
        AuditHead(
            stage_id=h.stage_id,
            stage_name=h.stage_name,
            closed_at=h.closed_at,
            audit_head_hash=h.hash,
            records=h.records,
        )
        for h in await queries.closed_stage_heads(unit_of_work, contest_id)
    ]


class EntryInJudging(BaseModel):
    id: uuid.UUID
    nomination_code: str
    title: str
    revision: int
    withdrawn: bool


@router.get("/contests/{contest_id}/entries", response_model=list[EntryInJudging], tags=["entries"])
async def list_entries(contest_id: uuid.UUID, unit_of_work: UnitOfWorkDep) -> list[EntryRecord]:
    """The entries judging knows of in a contest, as built from submissions' events (titles only)."""
    return await queries.entries_known(unit_of_work, contest_id)
