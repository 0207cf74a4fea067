"""Every console route, whatever its method, refuses a visitor who is not a signed-in organiser — without
a session, with a juror's and with a participant's — by a redirect to the sign-in page, before it calls
any API. The routes are read from the app, so a new console page is covered the moment it exists."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from web.main import create_app
from web.settings import WebSettings

from .kit import flatten, web_client

OPEN = {"/console/sign-in"}  # the sign-in page itself; sign-out needs only the CSRF token
CONTEST = "7d7c1e7e-0000-4000-8000-000000000001"
ENTRY = "7d7c1e7e-0000-4000-8000-000000000002"


def console_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for route in flatten(app.routes):
        if route.path.startswith("/console") and route.path not in OPEN | {"/console/sign-out"}:
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path))
    return found


class Calls:
    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path.endswith("/me"):  # a juror's ticket is good for the jury pages
            return httpx.Response(200, json={"id": str(uuid.uuid4()), "contest_id": CONTEST, "name": "J"})
        if request.url.path.startswith("/entries/"):  # and a participant's token for their entry
            return httpx.Response(200, json={"id": ENTRY, "contest_id": CONTEST})
        return httpx.Response(401, json={"title": "Authentication required", "status": 401})


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
async def client(calls: Calls) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(calls.handle) as browser:
        yield browser


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: ENTRY if "entry" in m.group(0) else CONTEST, path)


async def as_juror(client: httpx.AsyncClient) -> None:
    await client.get("/jury/sign-in", params={"ticket": "a-jurors-ticket", "contest": CONTEST})


async def as_participant(client: httpx.AsyncClient) -> None:
    await client.get(f"/entries/{ENTRY}", params={"token": "a-participants-token"})


@pytest.mark.parametrize("session", ["nobody", "juror", "participant"])
async def test_every_console_route_redirects_to_the_sign_in_without_an_organiser(
    client: httpx.AsyncClient, calls: Calls, session: str
) -> None:
    if session == "juror":
        await as_juror(client)
    elif session == "participant":
        await as_participant(client)
    routes = console_routes(create_app(WebSettings(environment="test", log_format="console")))
    assert len(routes) >= 20, routes  # the console's pages are there to be checked
    calls.seen.clear()
    refused: dict[tuple[str, str], Any] = {}
    for method, path in routes:
        response = await client.request(method, concrete(path), data={"csrf_token": "x"})
        location = response.headers.get("location", "")
        if response.status_code != 303 or not location.startswith("/console/sign-in"):
            refused[(method, path)] = (response.status_code, location)
    assert refused == {}
    assert calls.seen == [], "no API was called for a visitor who is not an organiser"
