"""Role × endpoint: every route is classified, and each refuses the roles it is not for.

The test enumerates the app's routes, so a new route that nobody classified fails it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from judging.settings import JudgingSettings

from .judging_kit import ORGANISER, REVIEW, bearer, declare, register_jury, settings_for

OPERATIONS, PUBLIC, ORGANISER_ONLY, JUROR = "operations", "public", "organiser", "juror"
ANY_JUROR = "a juror of any contest"  # no contest in the path: whoever the token or ticket names
ROLES: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): OPERATIONS,
    ("GET", "/docs"): OPERATIONS,
    ("GET", "/docs/oauth2-redirect"): OPERATIONS,
    ("MOUNT", "/docs-static"): OPERATIONS,
    ("GET", "/redoc"): OPERATIONS,
    ("GET", "/health"): OPERATIONS,
    ("GET", "/ready"): OPERATIONS,
    ("MOUNT", "/metrics"): OPERATIONS,
    ("POST", "/contests/{contest_id}/jurors"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/jurors"): ORGANISER_ONLY,
    ("PATCH", "/contests/{contest_id}/jurors/{juror_id}"): ORGANISER_ONLY,
    ("DELETE", "/contests/{contest_id}/jurors/{juror_id}"): ORGANISER_ONLY,
    ("POST", "/contests/{contest_id}/jurors/{juror_id}/link"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/me"): JUROR,
    ("GET", "/jurors/me"): ANY_JUROR,
    ("GET", "/contests/{contest_id}/my-stages"): JUROR,
    ("GET", "/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}"): JUROR,
    ("POST", "/contests/{contest_id}/conflicts"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/conflicts"): ORGANISER_ONLY,
    ("POST", "/contests/{contest_id}/recusals"): JUROR,
    ("POST", "/contests/{contest_id}/stages"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/stages"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/stages/{stage_id}"): ORGANISER_ONLY,
    ("PUT", "/contests/{contest_id}/stages/{stage_id}"): ORGANISER_ONLY,
    ("DELETE", "/contests/{contest_id}/stages/{stage_id}"): ORGANISER_ONLY,
    ("POST", "/contests/{contest_id}/stages/{stage_id}/open"): ORGANISER_ONLY,
    ("POST", "/contests/{contest_id}/stages/{stage_id}/close"): ORGANISER_ONLY,
    ("PUT", "/contests/{contest_id}/stages/{stage_id}/chair-ordering"): ORGANISER_ONLY,
    ("PUT", "/contests/{contest_id}/stages/{stage_id}/awards"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/stages/{stage_id}/awards"): ORGANISER_ONLY,
    ("POST", "/contests/{contest_id}/stages/{stage_id}/reminders"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/stages/{stage_id}/my-entries"): JUROR,
    ("PUT", "/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}/my-score"): JUROR,
    ("GET", "/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}/my-score"): JUROR,
    ("GET", "/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}/jury-scores"): JUROR,
    ("PUT", "/contests/{contest_id}/stages/{stage_id}/running-order"): ORGANISER_ONLY,
    ("POST", "/contests/{contest_id}/stages/{stage_id}/defence/start"): ORGANISER_ONLY,
    ("POST", "/contests/{contest_id}/stages/{stage_id}/defence/end"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/final"): PUBLIC,
    ("GET", "/contests/{contest_id}/stages/{stage_id}/scoreboard"): PUBLIC,
    ("GET", "/contests/{contest_id}/stages/{stage_id}/scoreboard/stream"): PUBLIC,
    ("GET", "/contests/{contest_id}/stages/{stage_id}/progress"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/stages/{stage_id}/results"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/stages/{stage_id}/fairness"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/audit/verification"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/audit"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/audit/export"): ORGANISER_ONLY,
    ("GET", "/contests/{contest_id}/audit/heads"): PUBLIC,
    ("GET", "/contests/{contest_id}/entries"): PUBLIC,
}


FORGED_TICKET = {"Authorization": f"Bearer juror-sign-in.{uuid.uuid4()}.9999999999.forged"}


def endpoints(routes: list[BaseRoute]) -> Iterator[tuple[str, str]]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included routers
            yield from endpoints(route.original_router.routes)
        elif isinstance(route, Mount):
            yield "MOUNT", route.path
        elif isinstance(route, Route):
            yield from ((m, route.path) for m in sorted(route.methods or ()) if m != "HEAD")


@pytest.fixture
def settings(database_url: str, redis_url: str, namespace: str) -> JudgingSettings:
    """The matrix sends a refused credential to every route from one address, more in a minute than
    the throttle of token guessing lets through (tests/shared/test_http_throttle.py tests that)."""
    return settings_for(
        database_url,
        redis_url,
        namespace,
        auth_failures_per_minute=10_000,
        auth_failures_per_prefix_per_minute=10_000,
    )


@pytest.fixture
async def world(client: httpx.AsyncClient, small_contest: uuid.UUID) -> dict[str, Any]:
    [juror] = await register_jury(client, small_contest, 1)
    stage = await declare(client, small_contest, REVIEW)
    entry = (await client.get(f"/contests/{small_contest}/entries")).json()[0]
    return {
        "contest_id": small_contest,
        "stage_id": stage["id"],
        "entry_id": entry["id"],
        "juror_id": juror["id"],
        "juror": juror,
    }


def call(
    client: httpx.AsyncClient, method: str, path: str, ids: dict[str, Any], headers: dict[str, str]
) -> Any:
    names = ("contest_id", "stage_id", "entry_id", "juror_id")
    url = path.format(**{k: ids[k] for k in names if "{" + k + "}" in path})
    return client.request(
        method, url, headers=headers, json={} if method in ("POST", "PUT", "PATCH") else None
    )


async def test_every_route_is_classified(client: httpx.AsyncClient) -> None:
    found = set(endpoints(client.app.routes))  # type: ignore[attr-defined]
    assert found - set(ROLES) == set(), "classify the new routes in ROLES"
    assert set(ROLES) - found == set(), "ROLES lists routes that no longer exist"


async def test_each_route_refuses_the_roles_it_is_not_for(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    juror = bearer(world["juror"])
    for (method, path), role in sorted(ROLES.items()):
        if role == ORGANISER_ONLY:
            assert (await call(client, method, path, world, {})).status_code == 401, path
            assert (await call(client, method, path, world, juror)).status_code == 403, path
        elif role in (JUROR, ANY_JUROR):
            assert (await call(client, method, path, world, {})).status_code == 401, path
            assert (await call(client, method, path, world, ORGANISER)).status_code == 401, path
            assert (await call(client, method, path, world, FORGED_TICKET)).status_code == 401, path
            if role == JUROR:
                elsewhere = {**world, "contest_id": uuid.uuid4()}
                assert (await call(client, method, path, elsewhere, juror)).status_code == 404, path
        elif role == PUBLIC:
            assert (await call(client, method, path, world, {})).status_code not in (401, 403), path


async def test_the_organiser_sees_no_other_contests_data(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    elsewhere = {**world, "contest_id": uuid.uuid4()}
    for (method, path), role in sorted(ROLES.items()):
        if role == ORGANISER_ONLY and method == "GET":
            assert (await call(client, method, path, elsewhere, ORGANISER)).status_code == 404, path
