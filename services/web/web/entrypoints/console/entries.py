"""The console's entries pages: the list with filters, search, paging and statistics, the CSV and XLSX
exports, and one entry with its history.

Filters travel in the address (a GET form), so a filtered list can be bookmarked, reloaded and shared
among organisers, and the export links carry the same filters. The exports are streamed from
submissions with the organiser's token as they come: the browser never holds the token, and a large
contest's file is never kept whole in the web process.
"""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from ...i18n import _, current_language
from ..dependencies import ServicesDep
from ..rendering import render
from .access import OrganiserDep
from .common import contest_of, contest_zone
from .contests import territory_kinds

router = APIRouter()
PAGE_SIZE = 50
FILTERS = ("nomination", "territory", "territory_kind", "status", "q")
EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TextQuery = Annotated[str, Query(max_length=200)]


def entry_statuses() -> dict[str, str]:
    return {
        "submitted": _("Active"),
        "withdrawn": _("Withdrawn"),
        "advanced": _("Advanced"),
        "not_advanced": _("Not advanced"),
        "winner": _("Winner"),
    }


def changed_fields() -> dict[str, str]:
    return {
        "nomination_code": _("nomination"),
        "title": _("title"),
        "annotation": _("annotation"),
        "authors": _("authors"),
        "links": _("links"),
        "attachments": _("files"),
        "consent_to_personal_data": _("consent"),
        "status": _("withdrawn"),
    }


def entry_row(item: dict[str, Any]) -> dict[str, Any]:
    """A listed entry with its fields at the top, whether the API nests them in `content` or not."""
    content = item.get("content") or {}

    def pick(name: str, default: Any = "") -> Any:
        return item.get(name) if item.get(name) not in (None, "") else content.get(name, default)

    authors = pick("authors", [])
    names = [a if isinstance(a, str) else str(a.get("full_name") or a.get("name") or "") for a in authors]
    first = next((a for a in authors if isinstance(a, dict)), {})
    return {
        "id": item.get("id"),
        "title": pick("title"),
        "nomination_code": pick("nomination_code"),
        "territory_code": item.get("territory_code") or first.get("territory_code", ""),
        "territory_kind": item.get("territory_kind") or "",
        "library": item.get("library") or first.get("library", ""),
        "authors": [n for n in names if n],
        "status": item.get("status", ""),
        "submitted_at": item.get("submitted_at"),
    }


def tallies(value: Any, names: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of received / withdrawn / active, from {code: {…}} or [{"code": …, …}], named."""
    if isinstance(value, dict):
        items = [
            {"code": code, **(counts if isinstance(counts, dict) else {})} for code, counts in value.items()
        ]
    elif isinstance(value, list):
        items = [
            {
                "code": i.get("code")
                or i.get("nomination_code")
                or i.get("territory_code")
                or i.get("kind")
                or i.get("territory_kind"),
                **i,
            }
            for i in value
            if isinstance(i, dict)
        ]
    else:
        items = []
    rows = []
    for item in items:
        received, withdrawn = int(item.get("received") or 0), int(item.get("withdrawn") or 0)
        active = item.get("active")
        code = str(item["code"])
        rows.append(
            {
                "code": code,
                "name": names.get(code) or item.get("title") or item.get("name") or code,
                "received": received,
                "withdrawn": withdrawn,
                "active": int(active) if active is not None else received - withdrawn,
            }
        )
    return rows


def statistics_tables(stats: dict[str, Any], contest: dict[str, Any]) -> list[dict[str, Any]]:
    nominations = {n["code"]: n["title"] for n in contest.get("nominations") or []}
    territories = {t["code"]: t["name"] for t in contest.get("territories") or []}
    return [
        {
            "id": "by-nomination",
            "caption": _("By nomination"),
            "head": _("Nomination"),
            "rows": tallies(stats.get("by_nomination"), nominations),
        },
        {
            "id": "by-territory",
            "caption": _("By territory"),
            "head": _("Territory"),
            "rows": tallies(stats.get("by_territory"), territories),
        },
        {
            "id": "by-territory-kind",
            "caption": _("By kind of territory"),
            "head": _("Kind"),
            "rows": tallies(stats.get("by_territory_kind"), territory_kinds()),
        },
    ]


@router.get("/console/contests/{contest_id}/entries", response_class=HTMLResponse)
async def entries_page(
    request: Request,
    contest_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
    nomination: TextQuery = "",
    territory: TextQuery = "",
    territory_kind: TextQuery = "",
    status: TextQuery = "",
    q: TextQuery = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    contest = await contest_of(services, organiser, contest_id)
    chosen = {
        "nomination": nomination,
        "territory": territory,
        "territory_kind": territory_kind,
        "status": status,
        "q": q.strip(),
    }
    filters = {k: v for k, v in chosen.items() if v}
    listed = await services.submissions.get(
        f"/contests/{contest_id}/entries",
        **organiser.call(),
        params={**filters, "offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE},
    )
    stats = await services.submissions.get(f"/contests/{contest_id}/statistics", **organiser.call())
    total = int(listed.get("total") or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    query = urlencode(filters)

    def page_link(number: int) -> str:
        return f"?{urlencode({**filters, 'page': number})}"

    return render(
        request,
        "console/entries.html",
        title=_("Entries"),
        organiser=organiser,
        contest=contest,
        section="entries",
        zone=contest_zone(request, contest),
        entries=[entry_row(i) for i in listed.get("items") or []],
        total=total,
        page=page,
        pages=pages,
        first_shown=(page - 1) * PAGE_SIZE + 1,
        previous_link=page_link(page - 1) if page > 1 else None,
        next_link=page_link(page + 1) if page < pages else None,
        chosen=chosen,
        filtered=bool(filters),
        nominations={n["code"]: n["title"] for n in contest.get("nominations") or []},
        territories={t["code"]: t["name"] for t in contest.get("territories") or []},
        kinds=territory_kinds(),
        statuses=entry_statuses(),
        tables=statistics_tables(stats, contest),
        export_query=f"?{query}" if query else "",
    )


@router.get("/console/contests/{contest_id}/entries.{fmt}")
async def export_entries(
    request: Request,
    contest_id: uuid.UUID,
    fmt: str,
    organiser: OrganiserDep,
    services: ServicesDep,
    nomination: TextQuery = "",
    territory: TextQuery = "",
    territory_kind: TextQuery = "",
    status: TextQuery = "",
    q: TextQuery = "",
) -> Response:
    """The entries as CSV or XLSX, in the organiser's language, streamed from submissions."""
    if fmt not in EXPORTS:
        raise HTTPException(404)
    chosen = {
        "nomination": nomination,
        "territory": territory,
        "territory_kind": territory_kind,
        "status": status,
        "q": q.strip(),
    }
    params = {**{k: v for k, v in chosen.items() if v}, "language": current_language.get()}
    stack = AsyncExitStack()
    try:
        upstream = await stack.enter_async_context(
            services.submissions.stream(
                f"/contests/{contest_id}/export.{fmt}", token=organiser.token, params=params
            )
        )
    except BaseException:
        await stack.aclose()
        raise

    async def body() -> Any:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        finally:
            await stack.aclose()

    headers = {
        "Content-Disposition": upstream.headers.get(
            "content-disposition", f'attachment; filename="entries-{contest_id}.{fmt}"'
        ),
        "Cache-Control": "private, no-store",
    }
    if upstream.headers.get("content-length"):
        headers["Content-Length"] = upstream.headers["content-length"]
    return StreamingResponse(
        body(),
        media_type=upstream.headers.get("content-type", EXPORTS[fmt]),
        headers=headers,
        background=BackgroundTask(stack.aclose),
    )


@router.get("/console/contests/{contest_id}/entries/{entry_id}", response_class=HTMLResponse)
async def entry_page(
    request: Request,
    contest_id: uuid.UUID,
    entry_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    contest = await contest_of(services, organiser, contest_id)
    entry = await services.submissions.get(f"/entries/{entry_id}", **organiser.call())
    if str(entry.get("contest_id")) != str(contest_id):
        raise HTTPException(404)
    history = await services.submissions.get(
        f"/contests/{contest_id}/entries/{entry_id}/history", **organiser.call()
    )
    content = entry.get("content") or {}
    return render(
        request,
        "console/entries_entry.html",
        title=str(content.get("title") or _("Entry")),
        organiser=organiser,
        contest=contest,
        section="entries",
        zone=contest_zone(request, contest),
        entry=entry,
        content=content,
        history=history,
        nominations={n["code"]: n["title"] for n in contest.get("nominations") or []},
        territories={t["code"]: t["name"] for t in contest.get("territories") or []},
        statuses=entry_statuses(),
        field_names=changed_fields(),
    )
