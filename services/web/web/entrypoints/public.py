"""Pages anyone may open: the contests, a contest, its results, a document's verification, the language."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..adapters.api import ApiProblem, ServiceUnavailable
from ..i18n import LANGUAGE_COOKIE, LANGUAGES, _, current_language, ngettext
from .dependencies import ServicesDep
from .rendering import render

router = APIRouter()
OPEN_STATUSES = ("published", "submissions_closed", "results")


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, services: ServicesDep) -> Response:
    contests = [c for c in await services.submissions.get("/contests") if c["status"] in OPEN_STATUSES]
    if len(contests) == 1:
        return RedirectResponse(f"/contests/{contests[0]['id']}", status_code=303)
    return render(request, "public/home.html", title=_("Contests"), contests=contests)


@router.get("/language/{language}")
async def choose_language(language: str, next: str = "/") -> Response:
    """Remember the visitor's language for a year and go back to the page they were on."""
    target = next if next.startswith("/") and not next.startswith("//") and not urlsplit(next).netloc else "/"
    response = RedirectResponse(target, status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


async def published_contest(services: Any, contest_id: uuid.UUID) -> dict[str, Any]:
    contest: dict[str, Any] = await services.submissions.get(f"/contests/{contest_id}")
    if contest["status"] not in OPEN_STATUSES:
        raise ApiProblem(404, "Not found")
    return contest


def time_left(closes_at: str, now: datetime | None = None) -> str:
    """ "3 days 4 hours" until the deadline, in the visitor's language; empty once it has passed."""
    left = datetime.fromisoformat(closes_at) - (now or datetime.now(UTC))
    if left.total_seconds() <= 0:
        return ""
    days, hours, minutes = left.days, left.seconds // 3600, (left.seconds % 3600) // 60
    if days:
        return (
            ngettext("%(num)d day", "%(num)d days", days) % {"num": days}
            + " "
            + ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours}
        )
    if hours:
        return (
            ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours}
            + " "
            + ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}
        )
    return ngettext("%(num)d minute", "%(num)d minutes", max(minutes, 1)) % {"num": max(minutes, 1)}


def window_state(contest: dict[str, Any], now: datetime | None = None) -> str:
    """upcoming / open / closed / closed_early: whether the form accepts entries now, and if not, why
    (closed_early: the organisers closed submissions before the deadline)."""
    now = now or datetime.now(UTC)
    if contest["status"] != "published":
        return "closed_early" if closed_early(contest) else "closed"
    if now < datetime.fromisoformat(contest["window"]["opens_at"]):
        return "upcoming"
    if now >= datetime.fromisoformat(contest["window"]["closes_at"]):
        return "closed"
    return "open"


def closed_early(contest: dict[str, Any]) -> bool:
    """Whether the organisers closed submissions before the deadline (not the deadline passing)."""
    closed_at = contest.get("submissions_closed_at")
    if not closed_at:
        return False
    return datetime.fromisoformat(closed_at) < datetime.fromisoformat(contest["window"]["closes_at"])


def in_visitors_language(nomination: dict[str, Any]) -> dict[str, Any]:
    """The nomination as the visitor reads it: an English visitor gets its English title and
    description where the organisers gave them, the Russian ones where not."""
    if current_language.get() != "en":
        return nomination
    return nomination | {
        "title": nomination.get("title_en") or nomination.get("title") or "",
        "description": nomination.get("description_en") or nomination.get("description") or "",
    }


@router.get("/contests/{contest_id}", response_class=HTMLResponse)
async def contest_page(request: Request, contest_id: uuid.UUID, services: ServicesDep) -> Response:
    contest = await published_contest(services, contest_id)
    rules = contest["rules"]
    return render(
        request,
        "public/contest.html",
        title=contest["title"],
        contest=contest,
        nominations=[in_visitors_language(n) for n in contest["nominations"]],
        state=window_state(contest),
        time_left=time_left(contest["window"]["closes_at"]),
        max_size_mb=megabytes(rules["attachments"]["max_size_bytes"]),
        file_kinds=file_kinds(rules["attachments"]["allowed_media_types"]),
        territories_by_kind=territories_by_kind(contest),
    )


def megabytes(size: int) -> str:
    """20971520 → "20"; 1572864 → "1.5" (in the visitor's number format)."""
    return format_decimal(round(size / 1024 / 1024, 1), locale=current_language.get())


FILE_KINDS = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/msword": "DOC",
    "video/mp4": "MP4",
    "application/zip": "ZIP",
}


def file_kinds(media_types: list[str]) -> list[str]:
    return sorted(FILE_KINDS.get(t, t) for t in media_types)


def territories_by_kind(contest: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    kinds = {"city_district": _("City districts"), "municipal_district": _("Municipal districts")}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for territory in contest["territories"]:
        grouped.setdefault(territory["kind"], []).append(territory)
    return [
        (kinds.get(kind, kind), sorted(items, key=lambda t: t["name"])) for kind, items in grouped.items()
    ]


@router.get("/contests/{contest_id}/results", response_class=HTMLResponse)
async def results_page(request: Request, contest_id: uuid.UUID, services: ServicesDep) -> Response:
    contest = await published_contest(services, contest_id)
    if contest["status"] != "results":
        return render(request, "public/results_pending.html", title=_("Results"), contest=contest)
    entries = await services.submissions.get(f"/contests/{contest_id}/results")
    return render(
        request,
        "public/results.html",
        title=_("Results"),
        contest=contest,
        nominations=results_by_nomination(contest, entries),
        audit_heads=await audit_heads(services, contest_id),
        prize_text=prize_text,
    )


def prize_text(prize: dict[str, Any]) -> str:
    """A prize as the results page says it: "Cash prize — 15 000 RUB" (the amount in the visitor's
    number format), a sponsor's prize with its sponsor as the description names it."""
    description = str(prize.get("description") or "")
    amount = prize.get("amount")
    if prize.get("kind") != "cash" or amount in (None, ""):
        return description
    try:
        figure = format_decimal(Decimal(str(amount)), locale=current_language.get())
    except (InvalidOperation, ValueError):
        figure = str(amount)
    return f"{description} — {figure} {prize.get('currency') or ''}".strip()


async def audit_heads(services: Any, contest_id: uuid.UUID) -> list[dict[str, Any]]:
    """The audit log's head hash as each closed stage left it (judging publishes them), so anyone can
    check a later copy of the log; none when judging has none to show or does not answer."""
    try:
        heads = await services.judging.get(f"/contests/{contest_id}/audit/heads")
    except (ApiProblem, ServiceUnavailable):
        return []
    return heads if isinstance(heads, list) else []


def results_by_nomination(contest: dict[str, Any], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per nomination, in the contest's order: the winners (by place), the other finalists, mentions."""
    by_title = {n["title"]: n for n in contest["nominations"]}
    by_code = {n["code"]: n for n in contest["nominations"]}
    grouped: dict[str, dict[str, Any]] = {
        n["code"]: {"nomination": n, "winners": [], "finalists": [], "mentions": []}
        for n in contest["nominations"]
    }
    for entry in entries:
        code = entry.get("nomination_code") or by_title.get(entry.get("nomination", ""), {}).get("code")
        if code not in grouped:
            continue
        group = grouped[code]
        if entry.get("place"):
            group["winners"].append(entry)
        elif entry.get("progress") in ("advanced", "finalist"):
            group["finalists"].append(entry)
        if entry.get("special_mention"):
            group["mentions"].append(entry)
    for group in grouped.values():
        group["winners"].sort(key=lambda e: e["place"])
    return [grouped[code] for code in by_code]


@router.get("/verify/{code}", response_class=HTMLResponse)
async def verify_page(request: Request, code: str, services: ServicesDep) -> Response:
    try:
        document = await services.notifications.get(f"/documents/verify/{code}")
    except ApiProblem as problem:
        if problem.status not in (404, 422):
            raise
        return render(
            request, "public/verify_not_found.html", status_code=404, title=_("Document not found"), code=code
        )
    return render(
        request,
        "public/verify.html",
        title=_("Document verified"),
        document=document,
        code=code,
        kind_names=document_kinds(),
    )


def document_kinds() -> dict[str, str]:
    return {
        "thank_you_letter": _("Thank-you letter"),
        "participant_diploma": _("Participant's diploma"),
        "finalist_diploma": _("Finalist's diploma"),
        "winner_diploma": _("Winner's diploma"),
    }


@router.get("/verify", response_class=HTMLResponse)
async def verify_form(request: Request, code: str = "") -> Response:
    if code.strip():
        return RedirectResponse(f"/verify/{code.strip()}", status_code=303)
    return render(request, "public/verify_form.html", title=_("Check a diploma or letter"))
