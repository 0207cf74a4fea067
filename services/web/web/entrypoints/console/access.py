"""Signing organisers in and out, and the `OrganiserDep` every console page takes.

An organiser signs in with their name and the organiser token; the token is checked with an
organiser-only API call and kept in the session sealed (AES-GCM, key derived from the session secret),
so the cookie never shows it. Several organisers may be signed in at once, each in their own browser;
the name travels with every call as `X-Kaleidoscope-Actor` (percent-encoded UTF-8), which judging's
audit log records. A console page without an organiser in the session — a visitor, a juror or a
participant — redirects to the sign-in page, which returns to the page afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kaleidoscope_shared.sealing import SealBroken, seal, unseal

from ...adapters.api import ApiProblem
from ...adapters.session import forget_organiser, organiser_in_session, remember_organiser
from ...i18n import _
from ..dependencies import ServicesDep
from ..forms import FieldErrors, checked_form
from ..rendering import render

router = APIRouter()
MAX_NAME = 100
SEALING_CONTEXT = "kaleidoscope web organiser session:"


@dataclass(frozen=True)
class Organiser:
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """What every call made for this organiser carries besides the token: who they are."""
        return {"X-Kaleidoscope-Actor": quote(self.name, safe=" ")}

    def call(self) -> dict[str, Any]:
        """Keyword arguments for `ServiceApi.request`: `await api.post(path, **organiser.call(), json=…)`."""
        return {"token": self.token, "headers": self.headers}


class SignInRequired(Exception):
    """A console page was asked for without an organiser in the session."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def session_key(request: Request) -> str:
    secret: str = request.app.state.settings.session_secret.get_secret_value()
    return SEALING_CONTEXT + secret


def current_organiser(request: Request) -> Organiser:
    found = organiser_in_session(request)
    if found:
        try:
            return Organiser(found["name"], unseal(found["token"], session_key(request)))
        except SealBroken:
            forget_organiser(request)
    raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))


OrganiserDep = Annotated[Organiser, Depends(current_organiser)]


def sign_in_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/console/sign-in?next={quote(safe_next(next_path))}", status_code=303)


def safe_next(value: str) -> str:
    """Only a console page of this site (never another origin: `//evil`, `/\\evil`)."""
    if value.startswith("/console") and not value.startswith(("//", "/\\")) and "\\" not in value:
        return value
    return "/console"


@router.get("/console/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, next: str = "/console") -> Response:
    return render(
        request,
        "console/sign_in.html",
        title=_("Organisers' sign-in"),
        errors=FieldErrors(),
        name=(organiser_in_session(request) or {}).get("name", ""),
        next=safe_next(next),
    )


@router.post("/console/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, services: ServicesDep) -> Response:
    form = await checked_form(request)
    name = " ".join(str(form.get("name") or "").split())
    token = str(form.get("token") or "").strip()
    next_path = safe_next(str(form.get("next") or "/console"))
    errors = FieldErrors()
    if not name:
        errors.add("name", _("Enter your name: the audit log records who did what"))
    elif len(name) > MAX_NAME:
        errors.add("name", _("At most %(n)s characters") % {"n": MAX_NAME})
    if not token:
        errors.add("token", _("Enter the organisers' token"))
    if not errors:
        try:
            await services.notifications.get("/channels", token=token)
        except ApiProblem as problem:
            if problem.status not in (401, 403):
                raise
            errors.add("token", _("This token is not the organisers' token. Check it and try again."))
    if errors:
        return render(
            request,
            "console/sign_in.html",
            status_code=422,
            title=_("Organisers' sign-in"),
            errors=errors,
            name=name,
            next=next_path,
        )
    remember_organiser(request, name, seal(token, session_key(request)))
    return RedirectResponse(next_path, status_code=303)


@router.post("/console/sign-out")
async def sign_out(request: Request) -> Response:
    await checked_form(request)
    forget_organiser(request)
    return RedirectResponse("/", status_code=303)


@router.get("/console", response_class=HTMLResponse)
async def console_home(request: Request, organiser: OrganiserDep, services: ServicesDep) -> Response:
    contests = await services.submissions.get("/contests", **organiser.call())
    return render(request, "console/home.html", title=_("Console"), organiser=organiser, contests=contests)
