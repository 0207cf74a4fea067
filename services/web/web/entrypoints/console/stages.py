"""The console's stages: declare one (criteria, aggregation, normalisation, advancement, tie-breaks,
assignment, blind, deadline), open it, watch who has scored what and remind the late, close it — and when
judging refuses the close for a tie its chain cannot break, show the tied entries by title and authors
with their figures so the chair orders them there. A closed stage shows every entry's rank, figures and
the reason for its outcome.

The small helpers every contest page of the console shares (the contest, its time zone, one-time
notices, the service's refusal told in words) live here too; `jury`, `final` and `audit` import them.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...adapters.api import ApiProblem, Services
from ...adapters.session import flash, take_flash
from ...i18n import _, ngettext
from ..dependencies import ServicesDep
from ..forms import FieldErrors, checked_form
from ..rendering import render
from .access import Organiser, OrganiserDep
from .common import contest_of, contest_zone

router = APIRouter()
NOTICE = "console_notice"
CRITERION_ROWS = 4
"""Blank criterion rows the form offers beyond those typed ("more rows" adds as many again)."""
TIE_BREAK_SLOTS = 4


# --- shared by the console's contest pages -------------------------------------------------------


def tell(request: Request, key: str, **values: Any) -> None:
    """A one-time notice the next console page shows ("The stage is open.")."""
    flash(request, NOTICE, {"key": key, **values})


def notice_of(request: Request) -> str | None:
    """The notice left by the last action, in the visitor's language."""
    found = take_flash(request, NOTICE)
    if not isinstance(found, dict):
        return None
    key, count = found.get("key"), int(found.get("count") or 0)
    texts = {
        "juror_saved": lambda: _("The juror's details are saved."),
        "juror_removed": lambda: _("The juror is removed from the jury."),
        "conflict_added": lambda: _("The conflict is recorded: the juror no longer sees that entry."),
        "stage_declared": lambda: _("The stage is declared. Open it when the entries are ready."),
        "stage_opened": lambda: _("The stage is open: the jurors have been assigned and told."),
        "stage_closed": lambda: _("The stage is closed. Its results are below."),
        "chair_ordered": lambda: _("The chair's order is recorded. Close the stage again to apply it."),
        "reminded": lambda: (
            ngettext("A reminder was sent to %(num)d juror.", "A reminder was sent to %(num)d jurors.", count)
            % {"num": count}
        ),
        "nobody_to_remind": lambda: _("Every assigned juror has scored everything: nobody to remind."),
        "final_saved": lambda: _("The date and place of the final are saved."),
        "order_saved": lambda: _("The running order is saved."),
        "defence_started": lambda: _("The defence has started: the jurors may score it."),
        "defence_ended": lambda: _("The defence has ended: its scores are on the hall screen."),
        "final_closed": lambda: _("The final is closed and the winners are declared."),
        "awards_saved": lambda: _("The prizes and special mentions are saved."),
    }
    text = texts.get(str(key))
    return text() if text else None


def refusal(problem: ApiProblem) -> str:
    """A refusal of the service, for a notice at the top of the page (its words are English)."""
    return _("The service refused: %(detail)s") % {"detail": problem.detail or problem.title}


def number(value: Any) -> float | None:
    """A number as people type it ("0,5" or "0.5"); None when empty or not a number."""
    text = str(value or "").strip().replace(",", ".").replace(" ", "")
    try:
        found = float(text)
    except ValueError:
        return None
    return found if found == found and abs(found) != float("inf") else None


def local_moment(value: str, zone: str) -> str | None:
    """A `datetime-local` value typed in `zone` as an ISO moment with its offset; None if not a moment."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.isoformat()


def local_input(value: str | None, zone: str) -> str:
    """An ISO moment as a `datetime-local` field shows it, in `zone`."""
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def authors_text(authors: Any) -> str:
    """Authors as names joined by commas, whether given as names or as author records."""
    if not authors:
        return ""
    names = [a.get("full_name") or a.get("name") or "" if isinstance(a, dict) else str(a) for a in authors]
    return ", ".join(n for n in names if n)


async def stages_of(services: Services, organiser: Organiser, contest_id: uuid.UUID) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await services.judging.get(
        f"/contests/{contest_id}/stages", **organiser.call()
    )
    return sorted(found, key=lambda s: s.get("position", 0))


async def entry_titles(services: Services, contest_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """The entries judging knows of (public: ids, titles, nominations), by id."""
    entries = await services.judging.get(f"/contests/{contest_id}/entries")
    return {str(e["id"]): e for e in entries}


# --- labels --------------------------------------------------------------------------------------


def aggregations() -> list[tuple[str, str]]:
    return [
        ("mean", _("Mean of the jurors' scores")),
        ("median", _("Median of the jurors' scores")),
        ("trimmed_mean", _("Trimmed mean (the extremes dropped)")),
    ]


def advancement_rules() -> list[tuple[str, str]]:
    return [
        ("top_per_nomination", _("The best N of each nomination advance")),
        ("top_overall", _("The best N overall advance")),
        ("score_threshold", _("Entries scoring at least the threshold advance")),
        ("places_per_nomination", _("Places 1 to K in each nomination (a final)")),
    ]


def tie_breaks() -> list[tuple[str, str]]:
    return [
        ("higher_median", _("Higher median score")),
        ("more_top_marks", _("More top marks")),
        ("earlier_submission", _("Earlier submission")),
        ("chair_decision", _("The chair's decision")),
    ]


def assignment_modes() -> list[tuple[str, str]]:
    return [
        ("every_juror", _("Every juror scores every entry (except conflicts)")),
        ("jurors_per_entry", _("K jurors per entry, at most a cap per juror")),
    ]


def stage_kinds() -> list[tuple[str, str]]:
    return [("review", _("Review (jurors score on their own)")), ("final", _("Final (public defence)"))]


def status_names() -> dict[str, str]:
    return {"declared": _("Declared"), "open": _("Open"), "closed": _("Closed")}


def labels() -> dict[str, Any]:
    return {
        "aggregations": dict(aggregations()),
        "rules": dict(advancement_rules()),
        "tie_breaks": dict(tie_breaks()),
        "modes": dict(assignment_modes()),
        "kinds": dict(stage_kinds()),
        "statuses": status_names(),
    }


# --- the stage form ------------------------------------------------------------------------------

SIMPLE_FIELDS = (
    "name",
    "kind",
    "aggregation",
    "trim_fraction",
    "normalisation_min_scores",
    "advancement_rule",
    "advancement_value",
    "assignment_mode",
    "assignment_k",
    "assignment_cap",
    "deadline",
    "held_at",
    "venue",
)


def blank_criterion() -> dict[str, str]:
    return {"name": "", "description": "", "weight": "", "scale_min": "0", "scale_max": "10"}


def blank_stage_form(kind: str = "review") -> dict[str, Any]:
    form: dict[str, Any] = dict.fromkeys(SIMPLE_FIELDS, "")
    form.update(
        kind=kind if kind in ("review", "final") else "review",
        aggregation="mean",
        trim_fraction="0.1",
        advancement_rule="places_per_nomination" if kind == "final" else "top_per_nomination",
        assignment_mode="every_juror",
        blind=False,
        tie_breaks=["higher_median", "more_top_marks", "", ""],
        criteria=[blank_criterion() for _ in range(CRITERION_ROWS)],
    )
    return form


def stage_form_of(posted: Any) -> dict[str, Any]:
    """What the organiser typed, kept whole to show again beside its errors."""
    form: dict[str, Any] = {name: str(posted.get(name) or "").strip() for name in SIMPLE_FIELDS}
    form["blind"] = posted.get("blind") == "on"
    form["tie_breaks"] = [str(posted.get(f"tie_break_{i}") or "") for i in range(1, TIE_BREAK_SLOTS + 1)]
    rows = int(number(posted.get("criterion_rows")) or CRITERION_ROWS)
    form["criteria"] = [
        {key: str(posted.get(f"criterion-{i}-{key}") or "").strip() for key in blank_criterion()}
        for i in range(min(rows, 50))
    ]
    return form


def stage_form_of_definition(definition: dict[str, Any], zone: str) -> dict[str, Any]:
    """A declared stage's definition as the form shows it (to change the final's date and place)."""
    form = blank_stage_form(definition.get("kind", "review"))
    advancement = definition.get("advancement") or {}
    rule = advancement.get("rule", "")
    value = advancement.get({"score_threshold": "minimum", "places_per_nomination": "k"}.get(rule, "n"))
    assignment = definition.get("assignment") or {}
    chain = list(definition.get("tie_breaks") or [])
    form.update(
        name=definition.get("name", ""),
        aggregation=definition.get("aggregation", "mean"),
        trim_fraction=str(definition.get("trim_fraction", 0.1)),
        normalisation_min_scores=str(definition.get("normalisation_min_scores") or ""),
        advancement_rule=rule,
        advancement_value="" if value is None else f"{value:g}",
        assignment_mode=assignment.get("mode", "every_juror"),
        assignment_k=str(assignment.get("k") or ""),
        assignment_cap=str(assignment.get("cap_per_juror") or ""),
        deadline=local_input(definition.get("deadline"), zone),
        held_at=local_input(definition.get("held_at"), zone),
        venue=definition.get("venue") or "",
        blind=bool(definition.get("blind")),
        tie_breaks=(chain + [""] * TIE_BREAK_SLOTS)[:TIE_BREAK_SLOTS],
        criteria=[
            {
                "name": c.get("name", ""),
                "description": c.get("description", ""),
                "weight": f"{c.get('weight', 1):g}",
                "scale_min": f"{c.get('scale_min', 0):g}",
                "scale_max": f"{c.get('scale_max', 10):g}",
            }
            for c in definition.get("criteria", [])
        ],
    )
    return form


def declaration_of(
    form: dict[str, Any], zone: str, assignment_extra: dict[str, Any] | None = None
) -> tuple[dict[str, Any], FieldErrors, dict[int, int]]:
    """The DeclareStage body judging takes, the errors found first here, and which form row each
    criterion of the body came from (to put judging's errors beside the right row)."""
    errors = FieldErrors()
    if not form["name"]:
        errors.add("name", _("Enter the stage's name, e.g. “Correspondence round”."))
    elif len(form["name"]) > 200:
        errors.add("name", _("At most %(n)s characters") % {"n": 200})
    if form["kind"] not in ("review", "final"):
        errors.add("kind", _("Choose the kind of stage."))
    criteria: list[dict[str, Any]] = []
    rows: dict[int, int] = {}
    for i, row in enumerate(form["criteria"]):
        if not row["name"] and not row["weight"] and not row["description"]:
            continue
        weight, low, high = number(row["weight"]), number(row["scale_min"]), number(row["scale_max"])
        if not row["name"]:
            errors.add(f"criterion-{i}-name", _("Name the criterion, or clear its row."))
        if weight is None or weight <= 0:
            errors.add(f"criterion-{i}-weight", _("The weight is a number above zero, e.g. 1 or 0.5."))
        if low is None:
            errors.add(f"criterion-{i}-scale_min", _("The lowest mark is a number, e.g. 0."))
        if high is None or (low is not None and high <= low):
            errors.add(
                f"criterion-{i}-scale_max", _("The highest mark is a number above the lowest, e.g. 10.")
            )
        rows[len(criteria)] = i
        criteria.append(
            {
                "name": row["name"],
                "description": row["description"],
                "weight": weight,
                "scale_min": low,
                "scale_max": high,
            }
        )
    if not criteria:
        errors.add("criterion-0-name", _("Give the stage at least one criterion."))
    if form["aggregation"] not in dict(aggregations()):
        errors.add("aggregation", _("Choose how the jurors' scores are combined."))
    trim = number(form["trim_fraction"] or "0.1")
    if form["aggregation"] == "trimmed_mean" and (trim is None or not 0 <= trim < 0.5):
        errors.add("trim_fraction", _("The share trimmed from each end is between 0 and 0.5, e.g. 0.1."))
    minimum_scores = None
    if form["normalisation_min_scores"]:
        found = number(form["normalisation_min_scores"])
        if found is None or found < 2 or found != int(found):
            errors.add(
                "normalisation_min_scores", _("A whole number of sheets, 2 or more; or leave it empty.")
            )
        else:
            minimum_scores = int(found)
    rule, value = form["advancement_rule"], number(form["advancement_value"])
    advancement: dict[str, Any] = {"rule": rule}
    if rule not in dict(advancement_rules()):
        errors.add("advancement_rule", _("Choose who advances."))
    elif rule == "score_threshold":
        if value is None:
            errors.add("advancement_value", _("Enter the threshold score, e.g. 7.5."))
        advancement["minimum"] = value
    elif value is None or value < 1 or value != int(value):
        errors.add("advancement_value", _("Enter a whole number, 1 or more."))
    else:
        advancement["k" if rule == "places_per_nomination" else "n"] = int(value)
    chain: list[str] = []
    for slot, choice in enumerate(form["tie_breaks"], start=1):
        if not choice:
            continue
        if choice not in dict(tie_breaks()):
            errors.add(f"tie_break_{slot}", _("Choose a rule from the list."))
        elif choice in chain:
            errors.add(f"tie_break_{slot}", _("This rule is already earlier in the chain."))
        else:
            chain.append(choice)
    assignment: dict[str, Any] = {"mode": form["assignment_mode"], **(assignment_extra or {})}
    if form["assignment_mode"] == "jurors_per_entry":
        k, cap = number(form["assignment_k"]), number(form["assignment_cap"])
        if k is None or k < 1 or k != int(k):
            errors.add("assignment_k", _("Enter how many jurors score each entry, 1 or more."))
        else:
            assignment["k"] = int(k)
        if cap is None or cap < 1 or cap != int(cap):
            errors.add("assignment_cap", _("Enter the most entries one juror scores, 1 or more."))
        else:
            assignment["cap_per_juror"] = int(cap)
    elif form["assignment_mode"] != "every_juror":
        errors.add("assignment_mode", _("Choose how entries are assigned."))
    body: dict[str, Any] = {
        "name": form["name"],
        "kind": form["kind"],
        "criteria": criteria,
        "aggregation": form["aggregation"],
        "normalisation_min_scores": minimum_scores,
        "advancement": advancement,
        "tie_breaks": chain,
        "assignment": assignment,
        "blind": form["blind"],
    }
    if form["aggregation"] == "trimmed_mean" and trim is not None:
        body["trim_fraction"] = trim
    for field in ("deadline", "held_at"):
        if form[field]:
            moment = local_moment(form[field], zone)
            if moment is None:
                errors.add(field, _("Enter a date and time."))
            body[field] = moment
    if form["venue"]:
        body["venue"] = form["venue"]
    return body, errors, rows


def declaration_errors(problem: ApiProblem, rows: dict[int, int]) -> FieldErrors:
    """Judging's 422, told beside the field it concerns; what fits no field goes to the top."""
    errors = FieldErrors()
    direct = {
        "name",
        "kind",
        "aggregation",
        "trim_fraction",
        "normalisation_min_scores",
        "deadline",
        "held_at",
        "venue",
        "blind",
    }
    for error in problem.errors:
        where = [part for part in error.get("location", []) if part != "body"]
        head = str(where[0]) if where else ""
        message = _("Check this field.")
        if head == "criteria" and len(where) > 1 and isinstance(where[1], int):
            key = str(where[2]) if len(where) > 2 else "name"
            errors.add(f"criterion-{rows.get(where[1], where[1])}-{key}", message)
        elif head == "advancement":
            errors.add("advancement_value" if len(where) > 1 else "advancement_rule", message)
        elif head == "tie_breaks":
            slot = where[1] + 1 if len(where) > 1 and isinstance(where[1], int) else 1
            errors.add(f"tie_break_{slot}", message)
        elif head == "assignment":
            key = str(where[1]) if len(where) > 1 else "mode"
            errors.add(
                {"k": "assignment_k", "cap_per_juror": "assignment_cap"}.get(key, "assignment_mode"), message
            )
        elif head in direct:
            errors.add(head, message)
    if not errors:
        errors.add("form", refusal(problem))
    return errors


def stage_form_page(
    request: Request,
    contest: dict[str, Any],
    form: dict[str, Any],
    errors: FieldErrors,
    organiser: Organiser,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "console/stage_form.html",
        status_code=status_code,
        title=_("New stage"),
        contest=contest,
        section="stages",
        organiser=organiser,
        form=form,
        errors=errors,
        zone=contest_zone(request, contest),
        aggregations=aggregations(),
        rules=advancement_rules(),
        tie_break_rules=tie_breaks(),
        modes=assignment_modes(),
        kinds=stage_kinds(),
    )


# --- pages ---------------------------------------------------------------------------------------


@router.get("/console/contests/{contest_id}/stages", response_class=HTMLResponse)
async def stages_page(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    contest = await contest_of(services, organiser, contest_id)
    stages = await stages_of(services, organiser, contest_id)
    return render(
        request,
        "console/stages.html",
        title=_("Stages"),
        contest=contest,
        section="stages",
        organiser=organiser,
        stages=stages,
        labels=labels(),
        notice=notice_of(request),
        has_final=any(s["kind"] == "final" for s in stages),
    )


@router.get("/console/contests/{contest_id}/stages/new", response_class=HTMLResponse)
async def new_stage_page(
    request: Request,
    contest_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
    kind: str = "review",
) -> Response:
    contest = await contest_of(services, organiser, contest_id)
    return stage_form_page(request, contest, blank_stage_form(kind), FieldErrors(), organiser)


@router.post("/console/contests/{contest_id}/stages/new", response_class=HTMLResponse)
async def declare_stage(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    posted = await checked_form(request)
    contest = await contest_of(services, organiser, contest_id)
    form = stage_form_of(posted)
    if posted.get("more_rows"):
        form["criteria"] += [blank_criterion() for _ in range(CRITERION_ROWS)]
        return stage_form_page(request, contest, form, FieldErrors(), organiser)
    body, errors, rows = declaration_of(form, contest_zone(request, contest))
    if not errors:
        try:
            await services.judging.request(
                "POST", f"/contests/{contest_id}/stages", **organiser.call(), json=body
            )
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors = declaration_errors(problem, rows)
    if errors:
        return stage_form_page(request, contest, form, errors, organiser, status_code=422)
    tell(request, "stage_declared")
    return RedirectResponse(f"/console/contests/{contest_id}/stages", status_code=303)


async def stage_view(
    services: Services, organiser: Organiser, contest_id: uuid.UUID, stage: dict[str, Any]
) -> dict[str, Any]:
    """What the stage page shows besides the stage: progress while open, results once closed."""
    view: dict[str, Any] = {"progress": None, "results": None, "jurors": {}, "entries": {}}
    if stage["status"] == "declared":
        return view
    jurors = await services.judging.get(f"/contests/{contest_id}/jurors", **organiser.call())
    view["jurors"] = {str(j["id"]): j for j in jurors}
    view["entries"] = await entry_titles(services, contest_id)
    if stage["status"] == "open":
        view["progress"] = await services.judging.get(
            f"/contests/{contest_id}/stages/{stage['id']}/progress", **organiser.call()
        )
    else:
        view["results"] = await services.judging.get(
            f"/contests/{contest_id}/stages/{stage['id']}/results", **organiser.call()
        )
    return view


async def stage_page_response(
    request: Request,
    services: Services,
    organiser: Organiser,
    contest_id: uuid.UUID,
    stage_id: uuid.UUID,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    contest = await contest_of(services, organiser, contest_id)
    stage = await services.judging.get(f"/contests/{contest_id}/stages/{stage_id}", **organiser.call())
    view = await stage_view(services, organiser, contest_id, stage)
    return render(
        request,
        "console/stage.html",
        status_code=status_code,
        title=stage["name"],
        contest=contest,
        section="stages",
        organiser=organiser,
        stage=stage,
        definition=stage.get("definition") or {},
        labels=labels(),
        notice=notice_of(request),
        problem=problem,
        authors_text=authors_text,
        zone=contest_zone(request, contest),
        nominations={n.get("code"): n.get("title") for n in contest.get("nominations", [])},
        **view,
    )


@router.get("/console/contests/{contest_id}/stages/{stage_id}", response_class=HTMLResponse)
async def stage_page(
    request: Request,
    contest_id: uuid.UUID,
    stage_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    return await stage_page_response(request, services, organiser, contest_id, stage_id)


def stage_path(contest_id: uuid.UUID, stage_id: uuid.UUID) -> str:
    return f"/console/contests/{contest_id}/stages/{stage_id}"


@router.post("/console/contests/{contest_id}/stages/{stage_id}/open", response_class=HTMLResponse)
async def open_stage(
    request: Request,
    contest_id: uuid.UUID,
    stage_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    await checked_form(request)
    try:
        await services.judging.request(
            "POST", f"/contests/{contest_id}/stages/{stage_id}/open", **organiser.call()
        )
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await stage_page_response(
            request, services, organiser, contest_id, stage_id, refusal(problem), problem.status
        )
    tell(request, "stage_opened")
    return RedirectResponse(stage_path(contest_id, stage_id), status_code=303)


@router.post("/console/contests/{contest_id}/stages/{stage_id}/reminders", response_class=HTMLResponse)
async def remind(
    request: Request,
    contest_id: uuid.UUID,
    stage_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    await checked_form(request)
    try:
        answer = await services.judging.request(
            "POST", f"/contests/{contest_id}/stages/{stage_id}/reminders", **organiser.call()
        )
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await stage_page_response(
            request, services, organiser, contest_id, stage_id, refusal(problem), problem.status
        )
    reminded = len((answer or {}).get("reminded") or [])
    tell(request, "reminded" if reminded else "nobody_to_remind", count=reminded)
    return RedirectResponse(stage_path(contest_id, stage_id), status_code=303)


# --- closing, and the chair's order of a tie -----------------------------------------------------


def tie_of(problem: ApiProblem) -> list[list[dict[str, Any]]] | None:
    """The tied entries of a close refused for a tie, in groups (one group per place in question);
    None when the refusal is something else."""
    groups = problem.extra.get("tied_entries")
    tied = problem.extra.get("tied")
    if not isinstance(groups, list) and not isinstance(tied, list):
        return None
    by_id = {str(t.get("entry_id")): t for t in tied or [] if isinstance(t, dict)}
    if not isinstance(groups, list) or not groups:
        groups = [list(by_id)]
    return [[{"entry_id": str(e), **by_id.get(str(e), {})} for e in group] for group in groups]


def tie_page(
    request: Request,
    contest: dict[str, Any],
    stage: dict[str, Any],
    groups: list[list[dict[str, Any]]],
    organiser: Organiser,
    entries: dict[str, dict[str, Any]],
    errors: FieldErrors | None = None,
    positions: dict[str, str] | None = None,
) -> HTMLResponse:
    for group in groups:
        for tied in group:
            known = entries.get(tied["entry_id"], {})
            tied.setdefault("title", known.get("title", ""))
            tied.setdefault("nomination_code", known.get("nomination_code", ""))
    nominations = {n.get("code"): n.get("title") for n in contest.get("nominations", [])}
    return render(
        request,
        "console/stage_tie.html",
        status_code=409 if errors is None else 422,
        title=_("A tie for the chair to decide"),
        contest=contest,
        section="final" if stage.get("kind") == "final" else "stages",
        organiser=organiser,
        stage=stage,
        groups=groups,
        errors=errors or FieldErrors(),
        positions=positions or {},
        nominations=nominations,
        tied_json=json.dumps(groups, ensure_ascii=False),
        authors_text=authors_text,
        figure_names=figure_names(),
    )


def figure_names() -> dict[str, str]:
    """The figures a tie refusal may carry beside each entry, in the order shown."""
    return {
        "aggregate": _("Aggregate"),
        "median": _("Median"),
        "top_marks": _("Top marks"),
        "jurors": _("Jurors"),
        "sheets": _("Sheets"),
        "submitted_at": _("Submitted"),
    }


async def close_or_tie(
    request: Request,
    services: Services,
    organiser: Organiser,
    contest_id: uuid.UUID,
    stage_id: uuid.UUID,
    done: str,
    back: str,
) -> Response:
    """Close the stage; a tie judging cannot break shows the tie page, another refusal the stage page."""
    try:
        await services.judging.request(
            "POST", f"/contests/{contest_id}/stages/{stage_id}/close", **organiser.call()
        )
    except ApiProblem as problem:
        groups = tie_of(problem) if problem.status == 409 else None
        if groups is not None:
            contest = await contest_of(services, organiser, contest_id)
            stage = await services.judging.get(
                f"/contests/{contest_id}/stages/{stage_id}", **organiser.call()
            )
            entries = await entry_titles(services, contest_id)
            return tie_page(request, contest, stage, groups, organiser, entries)
        if problem.status not in (409, 422):
            raise
        return await stage_page_response(
            request, services, organiser, contest_id, stage_id, refusal(problem), problem.status
        )
    tell(request, done)
    return RedirectResponse(back, status_code=303)


@router.post("/console/contests/{contest_id}/stages/{stage_id}/close", response_class=HTMLResponse)
async def close_stage(
    request: Request,
    contest_id: uuid.UUID,
    stage_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    await checked_form(request)
    path = stage_path(contest_id, stage_id)
    return await close_or_tie(request, services, organiser, contest_id, stage_id, "stage_closed", path)


@router.post("/console/contests/{contest_id}/stages/{stage_id}/chair-ordering", response_class=HTMLResponse)
async def order_tie(
    request: Request,
    contest_id: uuid.UUID,
    stage_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    """The chair's order of the tied entries: a place for each within its group, best first."""
    posted = await checked_form(request)
    try:
        groups = json.loads(str(posted.get("tied") or "[]"))
        ids = [[str(uuid.UUID(str(t["entry_id"]))) for t in group] for group in groups]
    except (ValueError, TypeError, KeyError):
        groups, ids = [], []
    positions = {e: str(posted.get(f"position-{e}") or "") for group in ids for e in group}
    errors = FieldErrors()
    ordered: list[str] = []
    for group in ids:
        taken: set[int] = set()
        for entry_id in group:
            found = number(positions[entry_id])
            if found is None or not 1 <= found <= len(group) or found != int(found):
                errors.add(f"position-{entry_id}", _("Choose a place from 1 to %(n)s.") % {"n": len(group)})
            elif int(found) in taken:
                errors.add(f"position-{entry_id}", _("Two entries cannot share a place: give each its own."))
            else:
                taken.add(int(found))
        ordered += sorted(group, key=lambda e: number(positions[e]) or 0)
    if not ids:
        errors.add("form", _("The tie is no longer known: close the stage again to see it."))
    if not errors:
        try:
            await services.judging.request(
                "PUT",
                f"/contests/{contest_id}/stages/{stage_id}/chair-ordering",
                **organiser.call(),
                json={"entry_ids": ordered},
            )
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors.add("form", refusal(problem))
    if errors:
        contest = await contest_of(services, organiser, contest_id)
        stage = await services.judging.get(f"/contests/{contest_id}/stages/{stage_id}", **organiser.call())
        entries = await entry_titles(services, contest_id)
        return tie_page(request, contest, stage, groups, organiser, entries, errors, positions)
    stage = await services.judging.get(f"/contests/{contest_id}/stages/{stage_id}", **organiser.call())
    tell(request, "chair_ordered")
    back = (
        f"/console/contests/{contest_id}/final"
        if stage.get("kind") == "final"
        else stage_path(contest_id, stage_id)
    )
    return RedirectResponse(back, status_code=303)
