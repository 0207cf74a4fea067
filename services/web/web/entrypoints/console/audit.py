"""The console's fairness and audit: per stage, each juror's leniency (how far their scores sit from the
other jurors' on the same entries) and the jury's agreement per entry, as tables with a bar chart whose
every bar has its value in words; the contest's hash-chained audit log, page by page, its head hash and
the head each closed stage published, and the whole log to download (JSON lines, judging's export: a
copy anyone can check offline against the published heads); and "verify", which checks the chain and
every published head, says which heads passed, and says intact or names the first broken record."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from ...adapters.api import ApiProblem, Services
from ...i18n import _
from ..dependencies import ServicesDep
from ..rendering import render
from .access import Organiser, OrganiserDep
from .common import contest_of
from .stages import entry_titles, stages_of

router = APIRouter()
PAGE = 50


def log_page(answer: Any) -> tuple[list[dict[str, Any]], int | None, str | None]:
    """Judging's page of the log: its records, the total when told, and the head hash when told."""
    if isinstance(answer, list):
        return answer, None, None
    records = answer.get("records") or answer.get("items") or []
    total = answer.get("total")
    head = answer.get("head_hash") or answer.get("audit_head_hash")
    return records, int(total) if total is not None else None, head


def as_text(details: Any) -> str:
    """A record's details as compact JSON in their own script (Cyrillic stays Cyrillic)."""
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def bars(values: list[float | None]) -> float:
    """The largest magnitude among the values (the chart's full width), never zero."""
    return max([abs(v) for v in values if v is not None] or [1.0]) or 1.0


async def fairness_of(
    services: Services, organiser: Organiser, contest_id: uuid.UUID, stages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    reports = []
    for stage in stages:
        if stage["status"] == "declared":
            continue
        try:
            report = await services.judging.get(
                f"/contests/{contest_id}/stages/{stage['id']}/fairness", **organiser.call()
            )
        except ApiProblem as problem:
            if problem.status != 409:
                raise
            continue
        jurors = report.get("jurors", [])
        entries = report.get("entries", [])
        reports.append(
            {
                "stage": stage,
                "jurors": jurors,
                "entries": sorted(entries, key=lambda e: -(e.get("std_dev") or 0)),
                "normalisation": report.get("normalisation") or {},
                "lean_scale": bars([j.get("mean_deviation") for j in jurors]),
                "spread_scale": bars([e.get("std_dev") for e in entries]),
            }
        )
    return reports


@router.get("/console/contests/{contest_id}/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    contest_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
    offset: int = Query(0, ge=0, le=1_000_000_000),
) -> Response:
    contest = await contest_of(services, organiser, contest_id)
    stages = await stages_of(services, organiser, contest_id)
    jurors = await services.judging.get(f"/contests/{contest_id}/jurors", **organiser.call())
    entries = await entry_titles(services, contest_id)
    answer = await services.judging.get(
        f"/contests/{contest_id}/audit", **organiser.call(), params={"offset": offset, "limit": PAGE}
    )
    records, total, head = log_page(answer)
    if head is None and total:
        if offset + len(records) >= total and records:
            head = records[-1].get("hash")
        else:
            last, _total, _head = log_page(
                await services.judging.get(
                    f"/contests/{contest_id}/audit",
                    **organiser.call(),
                    params={"offset": total - 1, "limit": 1},
                )
            )
            head = last[-1].get("hash") if last else None
    heads = await services.judging.get(f"/contests/{contest_id}/audit/heads", **organiser.call())
    return render(
        request,
        "console/audit.html",
        title=_("Fairness and audit"),
        contest=contest,
        section="audit",
        organiser=organiser,
        reports=await fairness_of(services, organiser, contest_id, stages),
        juror_names={str(j["id"]): j["name"] for j in jurors},
        titles={i: e.get("title", "") for i, e in entries.items()},
        records=records,
        total=total,
        offset=offset,
        page=PAGE,
        head=head,
        heads=heads or [],
        as_text=as_text,
    )


@router.get("/console/contests/{contest_id}/audit/export")
async def export_log(contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep) -> Response:
    """The whole log as judging exports it (JSON lines), to keep a copy or hand one over: anyone with it
    checks it against the heads on the public results page (`python -m judging verify-audit --file`)."""
    async with services.judging.stream(
        f"/contests/{contest_id}/audit/export", token=organiser.token
    ) as upstream:
        body = await upstream.aread()
        kind = upstream.headers.get("content-type", "application/jsonl")
        named = upstream.headers.get(
            "content-disposition", f'attachment; filename="audit-{contest_id}.jsonl"'
        )
    return Response(body, media_type=kind, headers={"Content-Disposition": named})


@router.get("/console/contests/{contest_id}/audit/verification", response_class=HTMLResponse)
async def verify_page(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    """Checks every record's hash against the one before, and every head the closed stages published
    (each says which record had which hash when its stage closed): which heads passed, and intact or
    the first broken record shown."""
    contest = await contest_of(services, organiser, contest_id)
    verdict = await services.judging.get(f"/contests/{contest_id}/audit/verification", **organiser.call())
    broken = None
    sequence = verdict.get("first_broken_sequence")
    if sequence:
        found, _total, _head = log_page(
            await services.judging.get(
                f"/contests/{contest_id}/audit",
                **organiser.call(),
                params={"offset": max(int(sequence) - 1, 0), "limit": 1},
            )
        )
        broken = found[0] if found else None
    return render(
        request,
        "console/audit_verify.html",
        title=_("Verification of the audit log"),
        contest=contest,
        section="audit",
        organiser=organiser,
        verdict=verdict,
        heads=verdict.get("heads") or [],
        broken=broken,
        as_text=as_text,
    )
