"""The console's final: its date and place, the running order (arrows that are plain POST buttons),
each defence started and ended, a link to the hall screen, the close that declares the winners, and the
prizes per place and special mentions (judging's awards), read back as judging stored them."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...adapters.api import ApiProblem, Services
from ...i18n import _
from ..dependencies import ServicesDep
from ..forms import FieldErrors, checked_form
from ..rendering import render
from .access import Organiser, OrganiserDep
from .common import contest_of, contest_zone
from .stages import (
    close_or_tie,
    declaration_of,
    entry_titles,
    labels,
    local_input,
    local_moment,
    notice_of,
    refusal,
    stage_form_of_definition,
    stages_of,
    tell,
)

router = APIRouter()
PRIZE_FIELDS = ("place", "nomination_code", "kind", "description", "amount", "currency", "sponsor")
BLANK_ROWS = 3


def count(value: Any) -> int:
    """A posted count of form rows (at most 100)."""
    text = str(value or "")
    return min(int(text), 100) if text.isdigit() else 0


def final_path(contest_id: uuid.UUID) -> str:
    return f"/console/contests/{contest_id}/final"


async def final_stage(
    services: Services, organiser: Organiser, contest_id: uuid.UUID
) -> dict[str, Any] | None:
    for stage in await stages_of(services, organiser, contest_id):
        if stage.get("kind") == "final":
            return stage
    return None


def prize_kinds() -> list[tuple[str, str]]:
    return [("cash", _("Cash")), ("sponsor", _("From a sponsor")), ("other", _("Other"))]


def awards_form_of(awards: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """The awards as judging stored them, as form rows (one row a prize), with blank rows to add."""
    prizes = [
        {
            "place": str(place.get("place", "")),
            "nomination_code": place.get("nomination_code") or "",
            "kind": prize.get("kind", "cash"),
            "description": prize.get("description", ""),
            "amount": "" if prize.get("amount") is None else str(prize["amount"]),
            "currency": prize.get("currency") or "",
            "sponsor": prize.get("sponsor") or "",
        }
        for place in awards.get("places", [])
        for prize in place.get("prizes", [])
    ]
    mentions = [
        {"entry_id": str(m.get("entry_id", "")), "text": m.get("text", "")}
        for m in awards.get("special_mentions", [])
    ]
    return with_blank_rows({"prizes": prizes, "mentions": mentions})


def with_blank_rows(form: dict[str, list[dict[str, str]]]) -> dict[str, list[dict[str, str]]]:
    blank_prize = dict.fromkeys(PRIZE_FIELDS, "") | {"kind": "cash", "currency": "RUB"}
    return {
        "prizes": form["prizes"] + [dict(blank_prize) for _ in range(BLANK_ROWS)],
        "mentions": form["mentions"] + [{"entry_id": "", "text": ""} for _ in range(BLANK_ROWS)],
    }


def awards_of(
    posted: Any, rows: int, mention_rows: int
) -> tuple[dict[str, Any], dict[str, Any], FieldErrors]:
    """What the organiser typed (kept whole), the SetAwards body judging takes, and the errors."""
    errors = FieldErrors()
    prizes = [{k: str(posted.get(f"prize-{i}-{k}") or "").strip() for k in PRIZE_FIELDS} for i in range(rows)]
    mentions = [
        {k: str(posted.get(f"mention-{i}-{k}") or "").strip() for k in ("entry_id", "text")}
        for i in range(mention_rows)
    ]
    places: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for i, row in enumerate(prizes):
        if not row["description"] and not row["place"] and not row["amount"] and not row["sponsor"]:
            continue
        p = f"prize-{i}-"
        place = row["place"]
        if not place.isdigit() or int(place) < 1:
            errors.add(p + "place", _("The place is a whole number, 1 or more."))
        if row["kind"] not in dict(prize_kinds()):
            errors.add(p + "kind", _("Choose the kind of prize."))
        if not row["description"]:
            errors.add(p + "description", _("Describe the prize, e.g. “Cash prize” or “A tablet”."))
        prize: dict[str, Any] = {"kind": row["kind"], "description": row["description"]}
        if row["kind"] == "cash":
            try:
                amount = Decimal(row["amount"].replace(",", ".").replace(" ", ""))
                if not amount.is_finite() or amount <= 0:
                    raise InvalidOperation
                prize["amount"] = str(amount)
            except InvalidOperation:
                errors.add(p + "amount", _("Enter the amount, a number above zero, e.g. 15000."))
            prize["currency"] = (row["currency"] or "RUB").upper()
        if row["kind"] == "sponsor":
            if not row["sponsor"]:
                errors.add(p + "sponsor", _("Name the sponsor."))
            prize["sponsor"] = row["sponsor"]
        if place.isdigit():
            places.setdefault((int(place), row["nomination_code"]), []).append(prize)
    special = []
    for i, row in enumerate(mentions):
        if not row["entry_id"] and not row["text"]:
            continue
        if not row["entry_id"]:
            errors.add(f"mention-{i}-entry_id", _("Choose the entry."))
        if not row["text"]:
            errors.add(f"mention-{i}-text", _("Enter the jury's words for the mention."))
        special.append({"entry_id": row["entry_id"], "text": row["text"]})
    body = {
        "places": [
            {"place": place, "nomination_code": code or None, "prizes": items}
            for (place, code), items in places.items()
        ],
        "special_mentions": special,
    }
    return {"prizes": prizes, "mentions": mentions}, body, errors


async def final_page_response(
    request: Request,
    services: Services,
    organiser: Organiser,
    contest_id: uuid.UUID,
    *,
    problem: str | None = None,
    when_errors: FieldErrors | None = None,
    when_form: dict[str, str] | None = None,
    awards_form: dict[str, Any] | None = None,
    awards_errors: FieldErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    contest = await contest_of(services, organiser, contest_id)
    stage = await final_stage(services, organiser, contest_id)
    context: dict[str, Any] = {}
    if stage is not None:
        zone = contest_zone(request, contest)
        definition = stage.get("definition") or {}
        entries = await entry_titles(services, contest_id)
        order = [str(e) for e in stage.get("running_order") or []]
        if not order and stage["status"] != "declared":
            progress = await services.judging.get(
                f"/contests/{contest_id}/stages/{stage['id']}/progress", **organiser.call()
            )
            order = [str(e["entry_id"]) for e in progress.get("entries", [])]
        awards = await services.judging.get(
            f"/contests/{contest_id}/stages/{stage['id']}/awards", **organiser.call()
        )
        context = {
            "definition": definition,
            "when_form": when_form
            or {
                "held_at": local_input(definition.get("held_at"), zone),
                "venue": definition.get("venue") or "",
            },
            "running_order": [{"id": e, **entries.get(e, {"title": e})} for e in order],
            "defended": {str(e) for e in stage.get("defended") or []},
            "defending": str(stage.get("defending_entry_id") or ""),
            "awards": awards or {},
            "awards_form": awards_form or awards_form_of(awards or {}),
            "entry_options": [(e, entries[e].get("title", "")) for e in order if e in entries]
            or [(i, e.get("title", "")) for i, e in entries.items() if not e.get("withdrawn")],
            "titles": {i: e.get("title", "") for i, e in entries.items()},
            "zone": zone,
        }
    nominations = [(n["code"], n.get("title") or n["code"]) for n in contest.get("nominations", [])]
    return render(
        request,
        "console/final.html",
        status_code=status_code,
        title=_("Final"),
        contest=contest,
        section="final",
        organiser=organiser,
        stage=stage,
        labels=labels(),
        notice=notice_of(request),
        problem=problem,
        when_errors=when_errors or FieldErrors(),
        awards_errors=awards_errors or FieldErrors(),
        prize_kinds=prize_kinds(),
        nominations=nominations,
        nomination_names=dict(nominations),
        **context,
    )


@router.get("/console/contests/{contest_id}/final", response_class=HTMLResponse)
async def final_page(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    return await final_page_response(request, services, organiser, contest_id)


async def the_final(services: Services, organiser: Organiser, contest_id: uuid.UUID) -> dict[str, Any]:
    stage = await final_stage(services, organiser, contest_id)
    if stage is None:
        raise ApiProblem(404, "Not found")
    return stage


async def refused_or(
    request: Request,
    services: Services,
    organiser: Organiser,
    contest_id: uuid.UUID,
    method: str,
    path: str,
    done: str,
    body: Any = None,
) -> Response:
    """Make the call; a refusal (409/422) shows the final's page with it, success goes back to it."""
    try:
        await services.judging.request(method, path, **organiser.call(), json=body)
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await final_page_response(
            request, services, organiser, contest_id, problem=refusal(problem), status_code=problem.status
        )
    tell(request, done)
    return RedirectResponse(final_path(contest_id), status_code=303)


@router.post("/console/contests/{contest_id}/final/when", response_class=HTMLResponse)
async def set_date_and_place(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    """The date and place of the public defence: part of the final's declaration, so it changes while
    the final is declared (judging replaces the declaration whole)."""
    posted = await checked_form(request)
    stage = await the_final(services, organiser, contest_id)
    contest = await contest_of(services, organiser, contest_id)
    zone = contest_zone(request, contest)
    when = {
        "held_at": str(posted.get("held_at") or "").strip(),
        "venue": " ".join(str(posted.get("venue") or "").split()),
    }
    errors = FieldErrors()
    held_at = local_moment(when["held_at"], zone) if when["held_at"] else None
    if not when["held_at"]:
        errors.add("held_at", _("Enter the date and time of the public defence."))
    elif held_at is None:
        errors.add("held_at", _("Enter a date and time."))
    if not when["venue"]:
        errors.add("venue", _("Enter where the public defence takes place."))
    elif len(when["venue"]) > 500:
        errors.add("venue", _("At most %(n)s characters") % {"n": 500})
    if not errors and stage["status"] != "declared":
        errors.add("held_at", _("The final has opened: its date and place can no longer change here."))
    if not errors:
        form = stage_form_of_definition(
            {**(stage.get("definition") or {}), "blind": stage.get("blind")}, zone
        )
        form.update(held_at=when["held_at"], venue=when["venue"])
        body, problems, _rows = declaration_of(form, zone, (stage.get("definition") or {}).get("assignment"))
        try:
            if problems:
                raise ApiProblem(422, detail="; ".join(problems.values()))
            await services.judging.request(
                "PUT", f"/contests/{contest_id}/stages/{stage['id']}", **organiser.call(), json=body
            )
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            fields = {str(e.get("location", ["", ""])[-1]) for e in problem.errors}
            errors.add("venue" if "venue" in fields else "held_at", refusal(problem))
    if errors:
        return await final_page_response(
            request, services, organiser, contest_id, when_errors=errors, when_form=when, status_code=422
        )
    tell(request, "final_saved")
    return RedirectResponse(final_path(contest_id), status_code=303)


@router.post("/console/contests/{contest_id}/final/order", response_class=HTMLResponse)
async def move_in_running_order(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    """One finalist one place up or down (the arrows), and the whole order saved."""
    posted = await checked_form(request)
    stage = await the_final(services, organiser, contest_id)
    order = [str(e) for e in stage.get("running_order") or []]
    if not order and stage["status"] != "declared":
        progress = await services.judging.get(
            f"/contests/{contest_id}/stages/{stage['id']}/progress", **organiser.call()
        )
        order = [str(e["entry_id"]) for e in progress.get("entries", [])]
    entry_id, direction = str(posted.get("entry_id") or ""), str(posted.get("direction") or "")
    if entry_id in order:
        at = order.index(entry_id)
        to = at - 1 if direction == "up" else at + 1 if direction == "down" else at
        if 0 <= to < len(order):
            order[at], order[to] = order[to], order[at]
    return await refused_or(
        request,
        services,
        organiser,
        contest_id,
        "PUT",
        f"/contests/{contest_id}/stages/{stage['id']}/running-order",
        "order_saved",
        {"entry_ids": order},
    )


@router.post("/console/contests/{contest_id}/final/defence/start", response_class=HTMLResponse)
async def start_defence(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    posted = await checked_form(request)
    stage = await the_final(services, organiser, contest_id)
    return await refused_or(
        request,
        services,
        organiser,
        contest_id,
        "POST",
        f"/contests/{contest_id}/stages/{stage['id']}/defence/start",
        "defence_started",
        {"entry_id": str(posted.get("entry_id") or "")},
    )


@router.post("/console/contests/{contest_id}/final/defence/end", response_class=HTMLResponse)
async def end_defence(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    await checked_form(request)
    stage = await the_final(services, organiser, contest_id)
    return await refused_or(
        request,
        services,
        organiser,
        contest_id,
        "POST",
        f"/contests/{contest_id}/stages/{stage['id']}/defence/end",
        "defence_ended",
    )


@router.post("/console/contests/{contest_id}/final/close", response_class=HTMLResponse)
async def close_final(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    await checked_form(request)
    stage = await the_final(services, organiser, contest_id)
    stage_id = uuid.UUID(str(stage["id"]))
    return await close_or_tie(
        request, services, organiser, contest_id, stage_id, "final_closed", final_path(contest_id)
    )


@router.post("/console/contests/{contest_id}/final/awards", response_class=HTMLResponse)
async def set_awards(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    posted = await checked_form(request)
    stage = await the_final(services, organiser, contest_id)
    rows, mention_rows = count(posted.get("prize_rows")), count(posted.get("mention_rows"))
    typed, body, errors = awards_of(posted, rows, mention_rows)
    if posted.get("more_rows"):
        return await final_page_response(
            request, services, organiser, contest_id, awards_form=with_blank_rows(typed)
        )
    if not errors:
        try:
            await services.judging.request(
                "PUT", f"/contests/{contest_id}/stages/{stage['id']}/awards", **organiser.call(), json=body
            )
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors.add("awards-form", refusal(problem))
    if errors:
        return await final_page_response(
            request, services, organiser, contest_id, awards_form=typed, awards_errors=errors, status_code=422
        )
    tell(request, "awards_saved")
    return RedirectResponse(final_path(contest_id) + "#awards", status_code=303)
