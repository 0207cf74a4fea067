"""Who may call what: every route of the app is classified here, and each role is tried on each.

A route added without a line in MATRIX fails `test_every_route_is_classified`, so access to a new
endpoint is always a decision someone wrote down.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from enum import Enum
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from submissions.main import create_app
from submissions.settings import SubmissionsSettings

from ..conftest import CLOSES
from .conftest import ORGANISER, bearer, contest_body, create_published_contest, entry_body, submitted
from .test_attachments import PDF


class Access(Enum):
    PUBLIC = "anyone"
    ORGANISER = "the organiser token only"
    PARTICIPANT = "the entry's own token only"
    PARTICIPANT_OR_ORGANISER = "the entry's own token or the organiser token"


MATRIX: dict[tuple[str, str], Access] = {
    ("GET", "/openapi.json"): Access.PUBLIC,
    ("GET", "/docs"): Access.PUBLIC,
    ("GET", "/docs/oauth2-redirect"): Access.PUBLIC,
    ("GET", "/docs-static"): Access.PUBLIC,
    ("GET", "/redoc"): Access.PUBLIC,
    ("GET", "/metrics"): Access.PUBLIC,
    ("GET", "/health"): Access.PUBLIC,
    ("GET", "/ready"): Access.PUBLIC,
    ("GET", "/contests"): Access.PUBLIC,
    ("GET", "/contests/{contest_id}"): Access.PUBLIC,
    ("GET", "/contests/{contest_id}/results"): Access.PUBLIC,
    ("POST", "/contests/{contest_id}/entries"): Access.PUBLIC,
    ("POST", "/contests/{contest_id}/attachments"): Access.PUBLIC,
    ("POST", "/contests"): Access.ORGANISER,
    ("POST", "/contests/{contest_id}/publish"): Access.ORGANISER,
    ("POST", "/contests/{contest_id}/close"): Access.ORGANISER,
    ("PATCH", "/contests/{contest_id}"): Access.ORGANISER,
    ("POST", "/contests/{contest_id}/deadline"): Access.ORGANISER,
    ("GET", "/contests/{contest_id}/entries/{entry_id}/history"): Access.ORGANISER,
    ("GET", "/contests/{contest_id}/entries"): Access.ORGANISER,
    ("GET", "/contests/{contest_id}/statistics"): Access.ORGANISER,
    ("GET", "/contests/{contest_id}/export.csv"): Access.ORGANISER,
    ("GET", "/contests/{contest_id}/export.xlsx"): Access.ORGANISER,
    ("GET", "/entries/{entry_id}"): Access.PARTICIPANT_OR_ORGANISER,
    ("GET", "/entries/{entry_id}/attachments/{key:path}"): Access.PARTICIPANT_OR_ORGANISER,
    ("PATCH", "/entries/{entry_id}"): Access.PARTICIPANT,
    ("DELETE", "/entries/{entry_id}"): Access.PARTICIPANT,
}
ROLES = ("anonymous", "unknown token", "another participant", "participant", "organiser")
ALLOWED: dict[Access, set[str]] = {
    Access.PUBLIC: set(ROLES),
    Access.ORGANISER: {"organiser"},
    Access.PARTICIPANT: {"participant"},
    Access.PARTICIPANT_OR_ORGANISER: {"participant", "organiser"},
}
DENIED_STATUSES = {401, 403, 404}


def app_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Every (method, path) the app serves, routers included; HEAD is GET's shadow."""
    for route in _flatten(app.routes):
        if isinstance(route, Mount):
            yield "GET", route.path
        elif isinstance(route, APIRoute | Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, route.path


def _flatten(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _flatten(included.routes) if included is not None else [route]


def test_every_route_is_classified(tmp_path: Any) -> None:
    app = create_app(SubmissionsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"))
    served = set(app_routes(app))
    assert served - set(MATRIX) == set(), "classify these routes in MATRIX"
    assert set(MATRIX) - served == set(), "these routes in MATRIX are no longer served"


async def request_as(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], body: Any
) -> httpx.Response:
    if isinstance(body, bytes):
        return await client.request(
            method,
            path,
            content=body,
            headers={**headers, "Content-Type": "application/pdf"},
            params={"filename": "a.pdf"},
        )
    return await client.request(method, path, json=body, headers=headers)


def body_for(method: str, path: str, title: str) -> Any:
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/contests"): contest_body(),
        ("POST", "/contests/{contest_id}/entries"): entry_body(title=title),
        ("POST", "/contests/{contest_id}/attachments"): PDF,
        ("PATCH", "/entries/{entry_id}"): {"annotation": f"поправка {title}"},
        ("PATCH", "/contests/{contest_id}"): {"description": f"поправка {title}"},
        ("POST", "/contests/{contest_id}/deadline"): {
            "submissions_close_at": (CLOSES + timedelta(days=1)).isoformat(),
            "reason": title,
        },
        ("DELETE", "/entries/{entry_id}"): {"reason": "передумали"},
    }
    return bodies.get((method, path))


async def scene(client: httpx.AsyncClient) -> dict[str, Any]:
    """A published contest, a participant's entry with an attachment, and another participant's entry."""
    contest_id = await create_published_contest(client)
    ref = (
        await client.post(f"/contests/{contest_id}/attachments", params={"filename": "a.pdf"}, content=PDF)
    ).json()
    mine = await submitted(client, contest_id, attachments=[ref])
    theirs = await submitted(client, contest_id, title="Другая заявка")
    return {
        "contest_id": contest_id,
        "entry_id": mine["id"],
        "key:path": ref["key"],
        "mine": mine,
        "theirs": theirs,
    }


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
async def test_each_role_is_allowed_or_refused_as_the_matrix_says(
    client: httpx.AsyncClient, route: tuple[str, str]
) -> None:
    method, template = route
    facts = await scene(client)
    path = re.sub(r"\{([^}]+)\}", lambda m: str(facts[m.group(1)]), template)
    headers = {
        "anonymous": {},
        "unknown token": bearer("not-a-token-anyone-was-given"),
        "another participant": bearer(facts["theirs"]["token"]),
        "participant": bearer(facts["mine"]["token"]),
        "organiser": ORGANISER,
    }
    wrong = []
    for number, role in enumerate(ROLES):
        response = await request_as(
            client, method, path, headers[role], body_for(method, template, f"{role} {number}")
        )
        allowed = response.status_code not in DENIED_STATUSES
        if allowed != (role in ALLOWED[MATRIX[route]]):
            wrong.append(f"{role}: {response.status_code} {response.text[:120]}")
    assert not wrong, f"{method} {template} is for {MATRIX[route].value}, but " + "; ".join(wrong)
