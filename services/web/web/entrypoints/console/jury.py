"""The console's jury: the jurors (add, edit, remove before they have scored, a new personal link),
their conflicts of interest (judging's automatic ones with their reason, those the jurors declared, and
one added by hand), and what each stage assigned to each juror.

A new personal link replaces the old one at once; the page asks first, then shows the new link this
once (the answer is never cached) and judging e-mails it to the juror.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...adapters.api import ApiProblem, Services
from ...i18n import _
from ..dependencies import ServicesDep
from ..forms import FieldErrors, checked_form
from ..rendering import render
from .access import Organiser, OrganiserDep
from .common import contest_of
from .stages import entry_titles, labels, notice_of, refusal, stages_of, tell

router = APIRouter()
JUROR_FIELDS = ("name", "position", "library", "territory_code", "email", "language")
LANGUAGES = (("ru", "Русский"), ("en", "English"))


def juror_form_of(posted: Any) -> dict[str, str]:
    form = {name: " ".join(str(posted.get(name) or "").split()) for name in JUROR_FIELDS}
    form["language"] = form["language"] if form["language"] in ("ru", "en") else "ru"
    return form


def blank_juror() -> dict[str, str]:
    return dict.fromkeys(JUROR_FIELDS, "") | {"language": "ru"}


def juror_errors(form: dict[str, str], contest: dict[str, Any]) -> FieldErrors:
    errors = FieldErrors()
    if not form["name"]:
        errors.add("name", _("Enter the juror's full name."))
    elif len(form["name"]) > 300:
        errors.add("name", _("At most %(n)s characters") % {"n": 300})
    if len(form["position"]) > 300:
        errors.add("position", _("At most %(n)s characters") % {"n": 300})
    if len(form["library"]) > 500:
        errors.add("library", _("At most %(n)s characters") % {"n": 500})
    codes = {t.get("code") for t in contest.get("territories", [])}
    if form["territory_code"] and form["territory_code"] not in codes:
        errors.add("territory_code", _("Choose one of this contest's territories."))
    email = form["email"]
    if email and ("@" not in email or "." not in email.rsplit("@", 1)[-1] or " " in email):
        errors.add("email", _("Enter an e-mail address like name@library.ru."))
    return errors


def juror_body(form: dict[str, str]) -> dict[str, Any]:
    return {**form, "email": form["email"] or None}


def api_juror_errors(problem: ApiProblem) -> FieldErrors:
    """Judging's refusal of a juror's details, beside the field it concerns."""
    errors = FieldErrors()
    for error in problem.errors:
        where = [str(p) for p in error.get("location", []) if p != "body"]
        if where and where[0] in JUROR_FIELDS:
            message = (
                _("Enter an e-mail address like name@library.ru.")
                if where[0] == "email"
                else _("Check this field.")
            )
            errors.add(where[0], message)
    if not errors:
        errors.add("form", refusal(problem))
    return errors


def territories(contest: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["code"], t.get("name") or t["code"]) for t in contest.get("territories", [])]


async def assignments(
    services: Services, organiser: Organiser, contest_id: uuid.UUID, stages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per stage: its assignment mode and, once it has opened, each juror's assigned and scored count."""
    found = []
    for stage in stages:
        per_juror: dict[str, dict[str, Any]] = {}
        if stage["status"] != "declared":
            progress = await services.judging.get(
                f"/contests/{contest_id}/stages/{stage['id']}/progress", **organiser.call()
            )
            per_juror = {str(j["juror_id"]): j for j in progress.get("jurors", [])}
        mode = (stage.get("definition") or {}).get("assignment") or {}
        found.append({"stage": stage, "mode": mode, "jurors": per_juror})
    return found


async def jury_page_response(
    request: Request,
    services: Services,
    organiser: Organiser,
    contest_id: uuid.UUID,
    *,
    new_juror: dict[str, str] | None = None,
    juror_errors_: FieldErrors | None = None,
    conflict: dict[str, str] | None = None,
    conflict_errors: FieldErrors | None = None,
    juror_refusals: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    contest = await contest_of(services, organiser, contest_id)
    jurors = await services.judging.get(f"/contests/{contest_id}/jurors", **organiser.call())
    conflicts = await services.judging.get(f"/contests/{contest_id}/conflicts", **organiser.call())
    entries = await entry_titles(services, contest_id)
    stages = await stages_of(services, organiser, contest_id)
    by_juror: dict[str, list[dict[str, Any]]] = {}
    for found in conflicts:
        found.setdefault("entry_title", entries.get(str(found["entry_id"]), {}).get("title", ""))
        by_juror.setdefault(str(found["juror_id"]), []).append(found)
    return render(
        request,
        "console/jury.html",
        status_code=status_code,
        title=_("Jury"),
        contest=contest,
        section="jury",
        organiser=organiser,
        jurors=jurors,
        conflicts=by_juror,
        juror_options=[(str(j["id"]), j["name"]) for j in jurors],
        entry_options=[
            (str(e["id"]), e.get("title", ""))
            for e in sorted(entries.values(), key=lambda e: e.get("title", ""))
            if not e.get("withdrawn")
        ],
        assignments=await assignments(services, organiser, contest_id, stages),
        labels=labels(),
        sources=conflict_sources(),
        territories=territories(contest),
        territory_names=dict(territories(contest)),
        languages=LANGUAGES,
        form=new_juror or blank_juror(),
        errors=juror_errors_ or FieldErrors(),
        conflict=conflict or {"juror_id": "", "entry_id": "", "reason": ""},
        conflict_errors=conflict_errors or FieldErrors(),
        refusals=juror_refusals or {},
        notice=notice_of(request),
    )


def conflict_sources() -> dict[str, str]:
    return {
        "automatic": _("Automatic"),
        "declared": _("Declared by the juror"),
        "organiser": _("Set by the organisers"),
    }


def jury_path(contest_id: uuid.UUID) -> str:
    return f"/console/contests/{contest_id}/jury"


@router.get("/console/contests/{contest_id}/jury", response_class=HTMLResponse)
async def jury_page(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    return await jury_page_response(request, services, organiser, contest_id)


@router.post("/console/contests/{contest_id}/jury", response_class=HTMLResponse)
async def add_juror(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    posted = await checked_form(request)
    contest = await contest_of(services, organiser, contest_id)
    form = juror_form_of(posted)
    errors = juror_errors(form, contest)
    created = None
    if not errors:
        try:
            created = await services.judging.request(
                "POST", f"/contests/{contest_id}/jurors", **organiser.call(), json=juror_body(form)
            )
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors = api_juror_errors(problem)
    if errors or created is None:
        return await jury_page_response(
            request, services, organiser, contest_id, new_juror=form, juror_errors_=errors, status_code=422
        )
    return link_page(request, contest, created, organiser, new=True)


def link_page(
    request: Request, contest: dict[str, Any], juror: dict[str, Any], organiser: Organiser, new: bool
) -> HTMLResponse:
    """The juror's personal link (or token), shown this once."""
    sign_in = str(request.base_url).rstrip("/") + "/jury/sign-in"
    page = render(
        request,
        "console/jury_link.html",
        title=_("The juror's personal link"),
        contest=contest,
        section="jury",
        organiser=organiser,
        juror=juror,
        link=juror.get("link") or "",
        token=juror.get("token") or "",
        sign_in=sign_in,
        new=new,
    )
    page.headers["Cache-Control"] = "no-store"
    return page


async def juror_of(
    services: Services, organiser: Organiser, contest_id: uuid.UUID, juror_id: uuid.UUID
) -> Any:
    jurors = await services.judging.get(f"/contests/{contest_id}/jurors", **organiser.call())
    for juror in jurors:
        if str(juror["id"]) == str(juror_id):
            return juror
    raise ApiProblem(404, "Not found")


def edit_page(
    request: Request,
    contest: dict[str, Any],
    juror: dict[str, Any],
    form: dict[str, str],
    errors: FieldErrors,
    organiser: Organiser,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "console/jury_edit.html",
        status_code=status_code,
        title=_("Edit the juror"),
        contest=contest,
        section="jury",
        organiser=organiser,
        juror=juror,
        form=form,
        errors=errors,
        territories=territories(contest),
        languages=LANGUAGES,
    )


@router.get("/console/contests/{contest_id}/jury/{juror_id}/edit", response_class=HTMLResponse)
async def edit_juror_page(
    request: Request,
    contest_id: uuid.UUID,
    juror_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    contest = await contest_of(services, organiser, contest_id)
    juror = await juror_of(services, organiser, contest_id, juror_id)
    form = {name: str(juror.get(name) or "") for name in JUROR_FIELDS}
    return edit_page(request, contest, juror, form, FieldErrors(), organiser)


@router.post("/console/contests/{contest_id}/jury/{juror_id}/edit", response_class=HTMLResponse)
async def edit_juror(
    request: Request,
    contest_id: uuid.UUID,
    juror_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    posted = await checked_form(request)
    contest = await contest_of(services, organiser, contest_id)
    juror = await juror_of(services, organiser, contest_id, juror_id)
    form = juror_form_of(posted)
    errors = juror_errors(form, contest)
    if not errors:
        try:
            await services.judging.request(
                "PATCH",
                f"/contests/{contest_id}/jurors/{juror_id}",
                **organiser.call(),
                json=juror_body(form),
            )
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors = api_juror_errors(problem)
    if errors:
        return edit_page(request, contest, juror, form, errors, organiser, status_code=422)
    tell(request, "juror_saved")
    return RedirectResponse(jury_path(contest_id), status_code=303)


@router.post("/console/contests/{contest_id}/jury/{juror_id}/remove", response_class=HTMLResponse)
async def remove_juror(
    request: Request,
    contest_id: uuid.UUID,
    juror_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    await checked_form(request)
    try:
        await services.judging.request(
            "DELETE", f"/contests/{contest_id}/jurors/{juror_id}", **organiser.call()
        )
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        told = _("This juror cannot be removed: they have already scored. (%(detail)s)") % {
            "detail": problem.detail or problem.title
        }
        return await jury_page_response(
            request, services, organiser, contest_id, juror_refusals={str(juror_id): told}, status_code=409
        )
    tell(request, "juror_removed")
    return RedirectResponse(jury_path(contest_id), status_code=303)


@router.get("/console/contests/{contest_id}/jury/{juror_id}/link", response_class=HTMLResponse)
async def new_link_page(
    request: Request,
    contest_id: uuid.UUID,
    juror_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    """Asks first: the juror's current link stops working the moment a new one is issued."""
    contest = await contest_of(services, organiser, contest_id)
    juror = await juror_of(services, organiser, contest_id, juror_id)
    return render(
        request,
        "console/jury_link_confirm.html",
        title=_("Issue a new personal link"),
        contest=contest,
        section="jury",
        organiser=organiser,
        juror=juror,
    )


@router.post("/console/contests/{contest_id}/jury/{juror_id}/link", response_class=HTMLResponse)
async def issue_link(
    request: Request,
    contest_id: uuid.UUID,
    juror_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    await checked_form(request)
    contest = await contest_of(services, organiser, contest_id)
    juror = await juror_of(services, organiser, contest_id, juror_id)
    issued = await services.judging.request(
        "POST", f"/contests/{contest_id}/jurors/{juror_id}/link", **organiser.call()
    )
    return link_page(request, contest, {**juror, **(issued or {})}, organiser, new=False)


@router.post("/console/contests/{contest_id}/jury/conflicts", response_class=HTMLResponse)
async def add_conflict(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    posted = await checked_form(request)
    conflict = {
        name: str(posted.get(f"conflict-{name}") or "").strip() for name in ("juror_id", "entry_id", "reason")
    }
    errors = FieldErrors()
    for name, message in (
        ("juror_id", _("Choose the juror.")),
        ("entry_id", _("Choose the entry.")),
    ):
        try:
            uuid.UUID(conflict[name])
        except ValueError:
            errors.add(f"conflict-{name}", message)
    if not conflict["reason"]:
        errors.add("conflict-reason", _("Say why the juror may not judge this entry."))
    elif len(conflict["reason"]) > 1000:
        errors.add("conflict-reason", _("At most %(n)s characters") % {"n": 1000})
    if not errors:
        try:
            await services.judging.request(
                "POST", f"/contests/{contest_id}/conflicts", **organiser.call(), json=conflict
            )
        except ApiProblem as problem:
            if problem.status not in (404, 409, 422):
                raise
            errors.add("conflict-form", refusal(problem))
    if errors:
        return await jury_page_response(
            request,
            services,
            organiser,
            contest_id,
            conflict=conflict,
            conflict_errors=errors,
            status_code=422,
        )
    tell(request, "conflict_added")
    return RedirectResponse(jury_path(contest_id) + "#conflicts", status_code=303)
