"""Who may call what: the organiser's token, a juror's personal token or sign-in ticket, and the
runtime of the app. A token or ticket that is refused is reported to the throttle (`auth_failed`); the
organiser check and the juror's are marked so that their routes refuse a request without the
credential, or with a juror's credential of no possible shape, before their body is read.

Every dependency is `async def`: FastAPI would run a plain `def` one in its thread pool, a thread hop
per request for a lookup."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Request

from kaleidoscope_shared.grants import JUROR_SIGN_IN
from kaleidoscope_shared.http.auth import (
    OPAQUE_TOKEN,
    Credential,
    CredentialShape,
    auth_failed,
    bearer_token,
    grant_shape,
    require_organiser,
    requires_credential,
    requires_organiser,
    unauthenticated,
)
from kaleidoscope_shared.http.openapi import BEARER_REQUIRED, answers
from kaleidoscope_shared.http.problems import ProblemError
from kaleidoscope_shared.runtime import ServiceRuntime

from ..service_layer.audit import ACTOR
from ..service_layer.jury import is_sign_in_ticket, juror_by_ticket, juror_by_token
from ..service_layer.ports import JurorRecord, UnitOfWorkFactory

ACTOR_HEADER = "X-Kaleidoscope-Actor"
ACTOR_MAX_CHARS = 100
DEFAULT_ORGANISER_ACTOR = "organiser"


async def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_unit_of_work(request: Request) -> UnitOfWorkFactory:
    """The unit of work the use cases on ports run in (`main.create_app` puts it on the app)."""
    return request.app.state.unit_of_work  # type: ignore[no-any-return]


UnitOfWorkDep = Annotated[UnitOfWorkFactory, Depends(get_unit_of_work)]


@requires_organiser
async def organiser(request: Request, runtime: RuntimeDep) -> None:
    require_organiser(request, runtime.settings.organiser_token.get_secret_value())
    ACTOR.set(organiser_actor(request))


def organiser_actor(request: Request) -> str:
    """Who the organiser is, as the console names them in `X-Kaleidoscope-Actor` (UTF-8, sent
    percent-encoded when not ASCII); "organiser" without it. Recorded with each audited action."""
    raw = request.headers.get(ACTOR_HEADER)
    if raw is None:
        return DEFAULT_ORGANISER_ACTOR
    try:
        text = unquote(raw.encode("latin-1").decode("utf-8"), errors="strict")
    except UnicodeError:
        text = ""
    name = " ".join(text.split())
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name) or len(name) > ACTOR_MAX_CHARS:
        raise ProblemError(
            422,
            "The request is not valid",
            f"{ACTOR_HEADER} must be the organiser's name: 1 to {ACTOR_MAX_CHARS} characters of UTF-8 "
            "text (percent-encoded when not ASCII), without control characters.",
        )
    return name or DEFAULT_ORGANISER_ACTOR


NO_JUROR_TOKEN = "Send your personal juror token as 'Authorization: Bearer <token>'."
NOT_A_TICKET = (
    "This sign-in link is not valid, has expired or was replaced; ask the organiser for a new link."
)
NOT_A_JUROR_TOKEN = (
    "This token belongs to no juror (or was replaced by a new link); use the token you were given."
)
JUROR_CREDENTIAL = Credential(
    shapes=(
        CredentialShape("juror", OPAQUE_TOKEN, NOT_A_JUROR_TOKEN),
        CredentialShape(
            "sign_in_ticket", grant_shape(JUROR_SIGN_IN), NOT_A_TICKET, prefix=f"{JUROR_SIGN_IN}."
        ),
    ),
    missing=NO_JUROR_TOKEN,
)
"""A juror's personal token (`jury.register_juror`) or the ticket of their personal link
(`jury.sign_in_ticket`), as a bearer token: without one, or with one of neither shape, a juror's route
answers 401 before its body is read, as `signed_in_juror` would."""


@answers(401, 429, security=BEARER_REQUIRED)
@requires_credential(JUROR_CREDENTIAL)
async def signed_in_juror(request: Request, runtime: RuntimeDep) -> JurorRecord:
    """The juror whose personal token, or the ticket of whose personal link, the request carries."""
    token = bearer_token(request)
    if token is None:
        raise unauthenticated(NO_JUROR_TOKEN)
    if is_sign_in_ticket(token):
        juror = await juror_by_ticket(runtime, token)
        if juror is None:
            auth_failed(request, "sign_in_ticket")
            raise ProblemError(401, "Authentication required", NOT_A_TICKET)
        ACTOR.set(juror_actor(juror))
        return juror
    juror = await juror_by_token(runtime, token)
    if juror is None:
        auth_failed(request, "juror")
        raise ProblemError(401, "Authentication required", NOT_A_JUROR_TOKEN)
    ACTOR.set(juror_actor(juror))
    return juror


def juror_actor(juror: JurorRecord) -> str:
    """How a juror's own actions (scores, recusals) name their actor in the audit log."""
    return f"juror {juror.name} ({juror.id})"


SignedInJuror = Annotated[JurorRecord, Depends(signed_in_juror)]


async def current_juror(juror: SignedInJuror, contest_id: uuid.UUID) -> JurorRecord:
    """The signed-in juror, in the contest of the path; a juror of another contest sees a 404."""
    if juror.contest_id != contest_id:
        raise ProblemError(404, "Not found", f"No contest {contest_id} is known to you.")
    return juror


OrganiserOnly = [Depends(organiser)]
CurrentJuror = Annotated[JurorRecord, Depends(current_juror)]
