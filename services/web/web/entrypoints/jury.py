"""The juror's pages (phone first): sign in from the e-mail's link, my entries, an entry, the score sheet.

A juror signs in once per contest: the ticket of their personal link (or their personal token) is
checked with judging and kept in the session, so the address bar and the browser's history never keep
it. Every page calls judging with that credential; without one for the contest a page is "not found",
so nobody learns that a contest has a jury page. Judging decides what may be read and scored; the pages
only say its refusals in the juror's language, beside the form, with the marks kept.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from ..adapters.api import ApiProblem, Services, ServiceUnavailable
from ..adapters.session import flash, juror_ticket, remember_juror, take_flash
from ..i18n import _
from .dependencies import ServicesDep
from .forms import FieldErrors, checked_form
from .rendering import render
from .security import FILE_CSP

router = APIRouter()

# files a browser may show inline; anything else is downloaded (an uploaded page never runs on our origin)
INLINE_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "video/mp4",
        "audio/mpeg",
        "text/plain",
    }
)
MAX_REASON = 2000


def ticket_for(request: Request, contest_id: uuid.UUID) -> str:
    """The juror's credential for the contest; without one every jury page is "not found"."""
    ticket = juror_ticket(request, str(contest_id))
    if not ticket:
        raise HTTPException(404)
    return ticket


# --- signing in --------------------------------------------------------------------------------------


@router.get("/jury/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, services: ServicesDep, ticket: str = "", contest: str = "") -> Response:
    """The personal link's target: check the ticket, keep it in the session, and drop it from the
    address (303 to the juror's contest page). Without a ticket: the form to paste a personal token."""
    if not ticket:
        return render(
            request,
            "jury/sign_in.html",
            title=_("Sign in to the jury"),
            errors=FieldErrors(),
            contest=contest,
        )
    # a wrong or expired ticket is judging's 401: the "link no longer works" page
    if contest:
        contest_id = parsed_uuid(contest)
        if contest_id is None:
            raise HTTPException(404)
        await services.judging.get(f"/contests/{contest_id}/me", token=ticket)
    else:  # the e-mail's link names no contest: the ticket's juror does
        contest_id = (await services.judging.get("/jurors/me", token=ticket))["contest_id"]
    remember_juror(request, str(contest_id), ticket)
    return RedirectResponse(f"/jury/{contest_id}", status_code=303)


@router.post("/jury/sign-in", response_class=HTMLResponse)
async def sign_in_with_token(request: Request, services: ServicesDep) -> Response:
    form = await checked_form(request)
    token = str(form.get("token") or "").strip()
    contest = str(form.get("contest") or "").strip()
    errors = FieldErrors()
    contest_id = parsed_uuid(contest)
    if not token:
        errors.add("token", _("Enter your personal token"))
    if contest_id is None:
        errors.add("contest", _("Enter the contest's identifier from your letter"))
    if not errors:
        try:
            await services.judging.get(f"/contests/{contest_id}/me", token=token)
        except ApiProblem as problem:
            if problem.status not in (401, 403, 404, 422):
                raise
            errors.add("token", _("This token is not known for this contest. Check both and try again."))
    if errors:
        return render(
            request,
            "jury/sign_in.html",
            status_code=422,
            title=_("Sign in to the jury"),
            errors=errors,
            contest=contest,
        )
    remember_juror(request, str(contest_id), token)
    return RedirectResponse(f"/jury/{contest_id}", status_code=303)


async def nomination_names(services: Services, contest_id: uuid.UUID) -> dict[str, Any]:
    """Nomination titles by code, from the contest's public page (codes alone when it does not answer)."""
    try:
        contest = await services.submissions.get(f"/contests/{contest_id}")
    except (ApiProblem, ServiceUnavailable):
        return {}
    return {n["code"]: n["title"] for n in contest.get("nominations", [])}


def parsed_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# --- the contest and a stage ---------------------------------------------------------------------------


@router.get("/jury/{contest_id}", response_class=HTMLResponse)
async def contest_home(request: Request, contest_id: uuid.UUID, services: ServicesDep) -> Response:
    ticket = ticket_for(request, contest_id)
    juror, stages = await asyncio.gather(
        services.judging.get(f"/contests/{contest_id}/me", token=ticket),
        services.judging.get(f"/contests/{contest_id}/my-stages", token=ticket),
    )
    return render(
        request,
        "jury/home.html",
        title=_("Jury"),
        juror=juror,
        contest_id=contest_id,
        stages=[stage_view(s) for s in stages],
        notice=take_flash(request, "jury_notice"),
    )


@router.get("/jury/{contest_id}/stages/{stage_id}", response_class=HTMLResponse)
async def stage_page(
    request: Request, contest_id: uuid.UUID, stage_id: uuid.UUID, services: ServicesDep
) -> Response:
    ticket = ticket_for(request, contest_id)
    stage, nominations = await asyncio.gather(
        my_stage(services, contest_id, stage_id, ticket), nomination_names(services, contest_id)
    )
    entries: list[dict[str, Any]] = []
    if stage["status"] != "declared":
        entries = await services.judging.get(
            f"/contests/{contest_id}/stages/{stage_id}/my-entries", token=ticket
        )
    defending = next((e for e in entries if str(e["id"]) == stage["defending_entry_id"]), None)
    return render(
        request,
        "jury/stage.html",
        title=stage["name"],
        contest_id=contest_id,
        stage=stage,
        entries=entries,
        defending=defending,
        nominations=nominations,
        next_entry=next((e for e in entries if not e["scored"] and scorable(stage, e["id"])), None),
        notice=take_flash(request, "jury_notice"),
    )


async def my_stage(
    services: Services, contest_id: uuid.UUID, stage_id: uuid.UUID, ticket: str
) -> dict[str, Any]:
    stages = await services.judging.get(f"/contests/{contest_id}/my-stages", token=ticket)
    found = next((s for s in stages if str(s["id"]) == str(stage_id)), None)
    if found is None:
        raise HTTPException(404)
    return stage_view(found)


def stage_view(stage: dict[str, Any]) -> dict[str, Any]:
    """Judging's stage, with what the pages show: progress in per cent and each criterion's scale."""
    assigned = int(stage.get("assigned") or 0)
    scored = int(stage.get("scored") or 0)
    defending = stage.get("defending_entry_id")
    return {
        **stage,
        "id": str(stage["id"]),
        "assigned": assigned,
        "scored": scored,
        "percent": round(100 * scored / assigned) if assigned else 0,
        "defending_entry_id": str(defending) if defending else None,
        "scorable_entry_ids": [str(e) for e in stage.get("scorable_entry_ids") or []],
        "criteria": [criterion_view(c, i) for i, c in enumerate(stage.get("criteria") or [])],
    }


def criterion_view(criterion: dict[str, Any], index: int) -> dict[str, Any]:
    scale = criterion.get("scale") or {}
    low = float(criterion.get("scale_min", scale.get("min", 0)))
    high = float(criterion.get("scale_max", scale.get("max", 10)))
    # whole steps from the scale's minimum to its maximum: one 44-pixel button each
    steps = [number(low + step) for step in range(int(high - low) + 1)] if high >= low else []
    return {
        **criterion,
        "index": index,
        "field": f"mark-{index}",
        "min": number(low),
        "max": number(high),
        "steps": steps,
        "weight": number(float(criterion.get("weight", 1))),
    }


def number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def scorable(stage: dict[str, Any], entry_id: Any) -> bool:
    """Whether judging takes the juror's score for this entry now (a final: only during or after its
    defence; a review: while the stage is open and before its deadline)."""
    if "scorable_entry_ids" in stage and stage["scorable_entry_ids"] is not None:
        return str(entry_id) in stage["scorable_entry_ids"]
    return bool(stage.get("scoring_allowed")) and stage["status"] == "open"


# --- an entry and its score sheet ----------------------------------------------------------------------


@router.get("/jury/{contest_id}/stages/{stage_id}/entries/{entry_id}", response_class=HTMLResponse)
async def entry_page(
    request: Request, contest_id: uuid.UUID, stage_id: uuid.UUID, entry_id: uuid.UUID, services: ServicesDep
) -> Response:
    ticket = ticket_for(request, contest_id)
    return await show_entry(
        request, services, contest_id, stage_id, entry_id, ticket, notice=take_flash(request, "jury_notice")
    )


async def show_entry(
    request: Request,
    services: Services,
    contest_id: uuid.UUID,
    stage_id: uuid.UUID,
    entry_id: uuid.UUID,
    ticket: str,
    *,
    status_code: int = 200,
    marks: dict[str, str] | None = None,
    refusal: str = "",
    errors: FieldErrors | None = None,
    recusal_errors: FieldErrors | None = None,
    reason: str = "",
    notice: Any = None,
) -> Response:
    """The entry's page: its content, the juror's sheet (their saved marks, or the marks just sent when
    judging refused them) and the recusal form."""
    base = f"/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}"
    stage, entry, score, nominations = await asyncio.gather(
        my_stage(services, contest_id, stage_id, ticket),
        entry_content(services, base, ticket),
        own_score(services, base, ticket),
        nomination_names(services, contest_id),
    )
    closed_note = ""
    if isinstance(entry, ApiProblem):
        closed_note = refusal_message(entry)
        entry = None
    if marks is None:
        marks = {
            c["field"]: mark_text((score or {}).get("marks", {}).get(c["name"])) for c in stage["criteria"]
        }
    allowed = scorable(stage, entry_id) and entry is not None
    defending = None
    if stage.get("kind") == "final" and stage["defending_entry_id"]:
        defending = {"id": stage["defending_entry_id"], "title": ""}
        if stage["defending_entry_id"] == str(entry_id) and entry is not None:
            defending["title"] = entry["title"]
        else:
            mine = await services.judging.get(
                f"/contests/{contest_id}/stages/{stage_id}/my-entries", token=ticket
            )
            defending = next((e for e in mine if str(e["id"]) == stage["defending_entry_id"]), defending)
    return render(
        request,
        "jury/entry.html",
        status_code=status_code,
        title=entry["title"] if entry else stage["name"],
        contest_id=contest_id,
        stage=stage,
        entry=entry,
        entry_id=str(entry_id),
        closed_note=closed_note,
        score=score,
        marks=marks,
        allowed=allowed,
        defending=defending,
        nominations=nominations,
        waiting_note="" if allowed or entry is None else waiting_message(stage),
        refusal=refusal,
        errors=errors or FieldErrors(),
        recusal_errors=recusal_errors or FieldErrors(),
        reason=reason,
        notice=notice,
        inline_types=INLINE_TYPES,
    )


async def entry_content(services: Services, base: str, ticket: str) -> dict[str, Any] | ApiProblem:
    """The entry whole, or judging's 409 when the stage is not open (the page says so)."""
    try:
        found: dict[str, Any] = await services.judging.get(base, token=ticket)
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        return problem
    return found


async def own_score(services: Services, base: str, ticket: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await services.judging.get(f"{base}/my-score", token=ticket)
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return None
    return found


def mark_text(value: Any) -> str:
    return "" if value is None else str(number(float(value)))


@router.post("/jury/{contest_id}/stages/{stage_id}/entries/{entry_id}/score", response_class=HTMLResponse)
async def give_score(
    request: Request, contest_id: uuid.UUID, stage_id: uuid.UUID, entry_id: uuid.UUID, services: ServicesDep
) -> Response:
    ticket = ticket_for(request, contest_id)
    form = await checked_form(request)
    stage = await my_stage(services, contest_id, stage_id, ticket)
    sent = {c["field"]: str(form.get(c["field"]) or "").strip() for c in stage["criteria"]}
    errors = FieldErrors()
    marks: dict[str, int | float] = {}
    for criterion in stage["criteria"]:
        value = parsed_mark(sent[criterion["field"]])
        if value is None or not criterion["min"] <= value <= criterion["max"]:
            errors.add(criterion["field"], _("Choose a mark for “%(name)s”") % {"name": criterion["name"]})
        else:
            marks[criterion["name"]] = value
    if errors:
        return await show_entry(
            request,
            services,
            contest_id,
            stage_id,
            entry_id,
            ticket,
            status_code=422,
            marks=sent,
            errors=errors,
        )
    try:
        await services.judging.request(
            "PUT",
            f"/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}/my-score",
            token=ticket,
            json={"marks": marks},
        )
    except ApiProblem as problem:
        if problem.status in (401, 404):
            raise
        return await show_entry(
            request,
            services,
            contest_id,
            stage_id,
            entry_id,
            ticket,
            status_code=problem.status,
            marks=sent,
            refusal=refusal_message(problem),
        )
    flash(request, "jury_notice", "score_saved")
    return RedirectResponse(f"/jury/{contest_id}/stages/{stage_id}/entries/{entry_id}", status_code=303)


def parsed_mark(text: str) -> int | float | None:
    try:
        return number(float(text.replace(",", ".")))
    except ValueError:
        return None


@router.post("/jury/{contest_id}/stages/{stage_id}/entries/{entry_id}/recusal", response_class=HTMLResponse)
async def recuse(
    request: Request, contest_id: uuid.UUID, stage_id: uuid.UUID, entry_id: uuid.UUID, services: ServicesDep
) -> Response:
    """Declare a conflict of interest with the entry: it leaves the juror's list for good."""
    ticket = ticket_for(request, contest_id)
    form = await checked_form(request)
    reason = str(form.get("reason") or "").strip()[:MAX_REASON]
    if not reason:
        errors = FieldErrors()
        errors.add("reason", _("Say briefly why you cannot judge this entry"))
        return await show_entry(
            request, services, contest_id, stage_id, entry_id, ticket, status_code=422, recusal_errors=errors
        )
    try:
        await services.judging.request(
            "POST",
            f"/contests/{contest_id}/recusals",
            token=ticket,
            json={"entry_id": str(entry_id), "reason": reason},
        )
    except ApiProblem as problem:
        if problem.status in (401, 404):
            raise
        errors = FieldErrors()
        errors.add("reason", refusal_message(problem))
        return await show_entry(
            request,
            services,
            contest_id,
            stage_id,
            entry_id,
            ticket,
            status_code=problem.status,
            recusal_errors=errors,
            reason=reason,
        )
    flash(request, "jury_notice", "recused")
    return RedirectResponse(f"/jury/{contest_id}/stages/{stage_id}", status_code=303)


# --- refusals in the juror's language ------------------------------------------------------------------

DEADLINE = re.compile(r"deadline", re.I)
NOT_DEFENDED = re.compile(r"not defended|has not defended|during or after its defence", re.I)
NOT_OPENED = re.compile(r"has not opened|is declared", re.I)
CLOSED = re.compile(r"is closed|only while it is open|every stage of this contest is closed", re.I)
CONFLICT = re.compile(r"conflict|taken away|recus", re.I)
NOT_ASSIGNED = re.compile(r"not assigned", re.I)
WITHDRAWN = re.compile(r"withdrawn", re.I)


def refusal_message(problem: ApiProblem) -> str:
    """Judging's refusal said in the visitor's language; an unforeseen one falls back to its detail."""
    detail = problem.detail or ""
    stage_status = problem.extra.get("stage_status")
    if DEADLINE.search(detail):
        return _("The deadline for scores in this stage has passed.")
    if NOT_DEFENDED.search(detail):
        return _("This entry has not defended yet: score it during or after its defence.")
    if stage_status == "declared" or NOT_OPENED.search(detail):
        return _("This stage has not opened yet.")
    if stage_status == "closed" or CLOSED.search(detail):
        return _("This stage is closed: scores are no longer taken.")
    if problem.title == "Conflict of interest" or CONFLICT.search(detail):
        return _("You have a conflict of interest with this entry, so you cannot score it.")
    if NOT_ASSIGNED.search(detail):
        return _("This entry is not assigned to you.")
    if WITHDRAWN.search(detail):
        return _("This entry was withdrawn and takes no scores.")
    if problem.status == 422 and problem.extra.get("problems"):
        return _("Some marks are missing or outside their scale: %(detail)s") % {"detail": detail}
    return detail or problem.title or _("Something went wrong")


def waiting_message(stage: dict[str, Any]) -> str:
    """Why the sheet is not open now (said before the juror tries)."""
    if stage["status"] == "declared":
        return _("This stage has not opened yet.")
    if stage["status"] == "closed":
        return _("This stage is closed: scores are no longer taken.")
    if stage.get("kind") == "final":
        return _("This entry has not defended yet: score it during or after its defence.")
    note = stage.get("scoring_note") or ""
    if note:
        return refusal_message(ApiProblem(409, detail=note))
    return _("Scores are not taken for this entry now.")


# --- files -------------------------------------------------------------------------------------------


@router.get("/jury/{contest_id}/stages/{stage_id}/entries/{entry_id}/files/{key:path}")
async def entry_file(
    request: Request,
    contest_id: uuid.UUID,
    stage_id: uuid.UUID,
    entry_id: uuid.UUID,
    key: str,
    services: ServicesDep,
    download: bool = False,
) -> Response:
    """One of the entry's files, streamed from submissions with a fresh grant from judging (a grant
    lasts minutes, a page stays open for hours): shown in the browser when it can, else downloaded."""
    ticket = ticket_for(request, contest_id)
    entry = await services.judging.get(
        f"/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}", token=ticket
    )
    attachment = next((a for a in entry.get("attachments", []) if a["key"] == key), None)
    if attachment is None or not attachment.get("grant"):
        raise HTTPException(404)
    media_type = str(attachment.get("media_type") or "application/octet-stream")
    inline = not download and media_type in INLINE_TYPES
    params = {"grant": attachment["grant"], **({"inline": "1"} if inline else {})}
    stack = AsyncExitStack()
    try:
        upstream = await stack.enter_async_context(
            services.submissions.stream(f"/entries/{entry_id}/attachments/{quote(key)}", params=params)
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

    filename = quote(str(attachment.get("filename") or "file"), safe="")
    headers = {
        "Content-Disposition": f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{filename}",
        # a file is shown as itself, never as a page of this site
        "Content-Security-Policy": FILE_CSP,
        "Cache-Control": "private, max-age=300",
    }
    if upstream.headers.get("content-length"):
        headers["Content-Length"] = upstream.headers["content-length"]
    return StreamingResponse(
        body(), media_type=media_type, headers=headers, background=BackgroundTask(stack.aclose)
    )
