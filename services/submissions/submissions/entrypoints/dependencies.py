"""Who is asking: the organiser (the deployment's token), a participant (an entry token), or anyone.

Dependencies are `async def` although they wait for nothing: FastAPI runs a plain `def` dependency
in its thread pool, a thread hop per request for a dictionary lookup."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from kaleidoscope_shared.http.auth import bearer_token, require_organiser, same_secret

from ..service_layer.context import SubmissionsContext
from ..settings import SubmissionsSettings


async def get_context(request: Request) -> SubmissionsContext:
    return request.app.state.submissions.context


def _settings(request: Request) -> SubmissionsSettings:
    return request.app.state.submissions.settings


ContextDep = Annotated[SubmissionsContext, Depends(get_context)]


async def organiser_only(request: Request) -> None:
    """401 without a token, 403 with one that is not the organiser token."""
    require_organiser(request, _settings(request).organiser_token.get_secret_value())


async def is_organiser(request: Request) -> bool:
    """Whether the request carries the organiser token (public endpoints show organisers more)."""
    return same_secret(bearer_token(request), _settings(request).organiser_token.get_secret_value())


async def presented_token(
    request: Request,
    token: Annotated[
        str | None, Query(description="The private entry token, as in the link sent on submission.")
    ] = None,
) -> str:
    """The entry token from `Authorization: Bearer …` or the private link's `?token=`; '' if none
    (which matches no entry: the answer is the same 404 as for a wrong token)."""
    return bearer_token(request) or token or ""


OrganiserDep = Annotated[bool, Depends(is_organiser)]
EntryTokenDep = Annotated[str, Depends(presented_token)]
ORGANISER_ONLY = [Depends(organiser_only)]
