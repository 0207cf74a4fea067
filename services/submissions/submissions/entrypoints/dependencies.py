"""Who is asking: the organiser (the deployment's token), a participant (an entry token), or anyone.

A credential that is refused is reported to the throttle (`auth_failed`): a wrong organiser token, and
an entry token or grant that opens no entry (the 404 of `EntryNotFound`). The organiser check is
marked so that the organiser's routes make it before their body is read; so is the entry token of the
routes that take nothing else (correcting and withdrawing an entry): without one, or with one of no
shape an entry token has, they answer 401 before their body is read.

Dependencies are `async def` although they wait for nothing: FastAPI runs a plain `def` dependency
in its thread pool, a thread hop per request for a dictionary lookup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request

from kaleidoscope_shared.http.auth import (
    OPAQUE_TOKEN,
    Credential,
    CredentialShape,
    auth_failed,
    bearer_token,
    require_organiser,
    requires_credential,
    requires_organiser,
    same_secret,
)
from kaleidoscope_shared.http.openapi import BEARER_OPTIONAL, answers

from ..domain.errors import EntryNotFound
from ..service_layer.context import SubmissionsContext
from ..settings import SubmissionsSettings


async def get_context(request: Request) -> SubmissionsContext:
    context: SubmissionsContext = request.app.state.submissions.context
    return context


def _settings(request: Request) -> SubmissionsSettings:
    settings: SubmissionsSettings = request.app.state.submissions.settings
    return settings


ContextDep = Annotated[SubmissionsContext, Depends(get_context)]


@requires_organiser
async def organiser_only(request: Request) -> None:
    """401 without a token, 403 with one that is not the organiser token."""
    require_organiser(request, _settings(request).organiser_token.get_secret_value())


@answers(429, security=BEARER_OPTIONAL)
async def is_organiser(request: Request) -> bool:
    """Whether the request carries the organiser token (public endpoints show organisers more).

    Another bearer token is a failed authentication, except on an entry's routes, where it is the
    entry token and `presented_token` judges it."""
    token = bearer_token(request)
    if token is None:
        return False
    if same_secret(token, _settings(request).organiser_token.get_secret_value()):
        return True
    if "entry_id" not in request.path_params:
        auth_failed(request, "organiser")
    return False


@answers(404, 429, security=BEARER_OPTIONAL)
async def presented_token(
    request: Request,
    token: Annotated[
        str | None, Query(description="The private entry token, as in the link sent on submission.")
    ] = None,
) -> AsyncIterator[str]:
    """The entry token from `Authorization: Bearer …` or the private link's `?token=`; '' if none
    (which matches no entry: the answer is the same 404 as for a wrong token). When the entry is not
    found for a token or grant the request carries (the organiser's aside), the guess is reported."""
    presented = bearer_token(request) or token or ""
    try:
        yield presented
    except EntryNotFound:
        grant = request.query_params.get("grant")
        organiser = same_secret(presented, _settings(request).organiser_token.get_secret_value())
        if presented and not organiser:
            auth_failed(request, "entry_token")
        elif grant:
            auth_failed(request, "grant")
        raise


ENTRY_CREDENTIAL = Credential(
    shapes=(
        CredentialShape(
            "entry_token",
            OPAQUE_TOKEN,
            "This is not an entry token; use the private link you were sent when you submitted the entry.",
        ),
    ),
    missing="Send the entry's private token as 'Authorization: Bearer <token>' or '?token='.",
    query="token",
)
"""The private entry token (`domain.tokens.new_entry_token`), as a bearer token or `?token=`."""


@answers(401, 404, 429, security=BEARER_OPTIONAL)
@requires_credential(ENTRY_CREDENTIAL)
async def entry_token_only(request: Request, token: Annotated[str, Depends(presented_token)]) -> str:
    """The entry token of a route that takes no other credential: 401 without one or with one of no
    shape an entry token has (before the body is read, see `auth_first.py`); 404 for any other token."""
    refusal = ENTRY_CREDENTIAL.check(request.scope)
    if refusal is not None:
        raise refusal
    return token


OrganiserDep = Annotated[bool, Depends(is_organiser)]
EntryTokenDep = Annotated[str, Depends(presented_token)]
EntryTokenOnlyDep = Annotated[str, Depends(entry_token_only)]
ORGANISER_ONLY = [Depends(organiser_only)]
