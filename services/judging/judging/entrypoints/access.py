"""Who may call what: the organiser's token, a juror's personal token or sign-in ticket, and the
runtime of the app.

Every dependency is `async def`: FastAPI would run a plain `def` one in its thread pool, a thread hop
per request for a lookup."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from kaleidoscope_shared.http.auth import bearer_token, require_organiser, unauthenticated
from kaleidoscope_shared.http.problems import ProblemError
from kaleidoscope_shared.runtime import ServiceRuntime

from ..adapters.tables import JurorRow
from ..service_layer.jury import is_sign_in_ticket, juror_by_ticket, juror_by_token


async def get_runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def organiser(request: Request, runtime: RuntimeDep) -> None:
    require_organiser(request, runtime.settings.organiser_token.get_secret_value())


async def signed_in_juror(request: Request, runtime: RuntimeDep) -> JurorRow:
    """The juror whose personal token, or the ticket of whose personal link, the request carries."""
    token = bearer_token(request)
    if token is None:
        raise unauthenticated("Send your personal juror token as 'Authorization: Bearer <token>'.")
    if is_sign_in_ticket(token):
        juror = await juror_by_ticket(runtime, token)
        if juror is None:
            raise ProblemError(
                401,
                "Authentication required",
                "This sign-in link is not valid or has expired; ask the organiser for a new link.",
            )
        return juror
    juror = await juror_by_token(runtime, token)
    if juror is None:
        raise ProblemError(
            401, "Authentication required", "This token belongs to no juror; use the token you were given."
        )
    return juror


SignedInJuror = Annotated[JurorRow, Depends(signed_in_juror)]


async def current_juror(juror: SignedInJuror, contest_id: uuid.UUID) -> JurorRow:
    """The signed-in juror, in the contest of the path; a juror of another contest sees a 404."""
    if juror.contest_id != contest_id:
        raise ProblemError(404, "Not found", f"No contest {contest_id} is known to you.")
    return juror


OrganiserOnly = [Depends(organiser)]
CurrentJuror = Annotated[JurorRow, Depends(current_juror)]
