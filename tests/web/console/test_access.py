"""Signing organisers in to the console against fake APIs (httpx.MockTransport): the token is checked,
kept sealed in the cookie, sent with the organiser's name; console pages without an organiser redirect
to the sign-in page, also for a juror's session."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from urllib.parse import unquote

import httpx
import pytest

from .kit import csrf_of, web_client

TOKEN = "the-organisers-token-of-this-test"


class FakeApis:
    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []
        self.token = TOKEN

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"title": "Authentication required", "status": 401})
        if request.url.path == "/channels":
            return httpx.Response(200, json={"installed": [], "enabled": [], "loaded": [], "failures": []})
        if request.url.path == "/contests":
            return httpx.Response(
                200,
                json=[
                    {
                        "id": "7d7c1e7e-0000-4000-8000-000000000001",
                        "title": "Библиотечный калейдоскоп",
                        "status": "published",
                        "window": {"opens_at": "2026-11-01T00:00:00Z", "closes_at": "2026-12-20T00:00:00Z"},
                    }
                ],
            )
        return httpx.Response(404, json={"title": "Not found", "status": 404})


@pytest.fixture
def apis() -> FakeApis:
    return FakeApis()


@pytest.fixture
async def client(apis: FakeApis) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(apis.handle) as browser:
        yield browser


async def sign_in(
    client: httpx.AsyncClient, name: str, token: str, next_path: str = "/console"
) -> httpx.Response:
    page = await client.get("/console/sign-in", params={"next": next_path})
    form = {"csrf_token": csrf_of(page.text), "name": name, "token": token, "next": next_path}
    return await client.post("/console/sign-in", data=form)


def session_cookie_payload(client: httpx.AsyncClient) -> str:
    cookie = client.cookies["kaleidoscope_session"]
    body = cookie.split(".")[0]
    return base64.b64decode(body + "=" * (-len(body) % 4)).decode()


async def test_a_console_page_without_a_session_redirects_to_the_sign_in_and_back(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/console?view=all")
    assert response.status_code == 303
    assert unquote(response.headers["location"]) == "/console/sign-in?next=/console?view=all"


async def test_signing_in_checks_the_token_seals_it_and_sends_the_name_with_every_call(
    client: httpx.AsyncClient, apis: FakeApis
) -> None:
    response = await sign_in(client, "Ирина Соколова", TOKEN)
    assert (response.status_code, response.headers["location"]) == (303, "/console")
    assert TOKEN not in session_cookie_payload(client)
    assert json.loads(session_cookie_payload(client))["organiser"]["name"] == "Ирина Соколова"

    home = await client.get("/console")
    assert home.status_code == 200
    assert "Библиотечный калейдоскоп" in home.text and "Ирина Соколова" in home.text
    listed = apis.calls[-1]
    assert listed.url.path == "/contests"
    assert listed.headers["authorization"] == f"Bearer {TOKEN}"
    assert unquote(listed.headers["x-kaleidoscope-actor"]) == "Ирина Соколова"


async def test_a_wrong_token_and_a_missing_name_are_told_beside_their_fields(
    client: httpx.AsyncClient,
) -> None:
    response = await sign_in(client, "", "not-the-token")
    assert response.status_code == 422
    assert 'id="name-error"' in response.text and 'id="token-error"' not in response.text
    response = await sign_in(client, "Ирина", "not-the-token")
    assert response.status_code == 422
    assert "This token is not the organisers&#39; token" in response.text
    assert (await client.get("/console")).status_code == 303


async def test_sign_out_ends_the_session_and_the_next_page_is_never_another_site(
    client: httpx.AsyncClient,
) -> None:
    response = await sign_in(client, "Ирина", TOKEN, next_path="//evil.example/console")
    assert response.headers["location"] == "/console"
    home = await client.get("/console")
    out = await client.post("/console/sign-out", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303
    assert (await client.get("/console")).status_code == 303


async def test_a_jurors_session_does_not_open_the_console(client: httpx.AsyncClient) -> None:
    client.cookies.clear()
    await client.get(
        "/jury/sign-in", params={"ticket": TOKEN, "contest": "7d7c1e7e-0000-4000-8000-000000000001"}
    )
    assert (await client.get("/console")).status_code == 303


async def test_a_changed_organisers_token_sends_the_organiser_back_to_the_sign_in(
    client: httpx.AsyncClient, apis: FakeApis
) -> None:
    await sign_in(client, "Ирина", TOKEN)
    apis.token = "a-new-organisers-token-after-rotation"
    response = await client.get("/console")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/sign-in")
