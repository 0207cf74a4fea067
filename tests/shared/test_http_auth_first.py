"""Routes that need a credential check it before the body is read, in every service, with the problem
document the route's own dependency gives, without the application ever calling `receive`:

- the organiser's routes: an anonymous request is answered 401, a wrong token 403;
- the routes of a personal credential (a juror's token or ticket, an entry token): an anonymous request,
  or one whose credential has no shape the credential can have, is answered 401 (a malformed one is
  counted by the throttle); a credential of the right shape is looked up after the body is parsed.

Every route of every service that reads a body is one of these or is listed here as open to anyone,
and no route without a body reads one: a new route is covered as it is added."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.types import Message, Receive, Scope, Send

from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.http.auth import (
    Credential,
    CredentialShape,
    auth_failed,
    require_organiser,
    requires_credential,
    requires_organiser,
    unauthenticated,
)
from kaleidoscope_shared.http.auth_first import CredentialsFirst, credential_routes, organiser_routes
from kaleidoscope_shared.http.problems import PROBLEM_JSON

from ..judging.service.test_access_matrix import ANY_JUROR as JUDGING_ANY_JUROR
from ..judging.service.test_access_matrix import JUROR as JUDGING_JUROR
from ..judging.service.test_access_matrix import ORGANISER_ONLY as JUDGING_ORGANISER
from ..judging.service.test_access_matrix import ROLES as JUDGING_ROLES
from ..submissions.api.test_authorisation_matrix import MATRIX as SUBMISSIONS_MATRIX
from ..submissions.api.test_authorisation_matrix import Access
from .probe import probe_runtime
from .test_http_throttle import sample, service_app

TOKEN = "organiser-token-for-the-auth-first-tests"
BIG_BODY = {"padding": "x" * (600 * 1024)}
"""An anonymous body large enough to matter, under every limit (1 MiB) so that nothing else refuses it."""
NOTIFICATIONS_ORGANISER = {
    ("GET", "/deliveries"),
    ("GET", "/deliveries/{delivery_id}"),
    ("POST", "/deliveries/{delivery_id}/resend"),
    ("GET", "/contests/{contest_id}/untold"),
    ("GET", "/recipients/{recipient}/preferences"),
    ("PUT", "/recipients/{recipient}/preferences"),
    ("GET", "/templates"),
    ("GET", "/templates/{kind}/{language}/preview"),
    ("POST", "/templates/{kind}/{language}/preview"),
    ("GET", "/documents"),
    ("GET", "/channels"),
}
"""As in tests/notifications/test_http_api.py, less `/documents/{document_id}/pdf`: with a grant it is
anyone's, so it checks the organiser itself, on a GET, which has no body."""


class ReadCounter:
    """The application, counting the times anything in it calls `receive` for an HTTP request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.reads = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            if scope["type"] == "http":
                self.reads += 1
            return await receive()

        await self.app(scope, counted, send)


@requires_organiser
async def organiser(request: Request) -> None:
    require_organiser(request, TOKEN)


async def wrapped(_: Annotated[None, Depends(organiser)]) -> None:
    """A dependency that depends on the organiser check: its routes are the organiser's too."""


MEMBER_TOKEN = "m-0123abcd"
MEMBER = Credential(
    shapes=(
        CredentialShape("member", re.compile(r"m-[0-9a-f]{8}"), "This is not a member's token."),
        CredentialShape("member_pass", re.compile(r"pass\.[0-9]{4}"), "This pass is forged.", prefix="pass."),
    ),
    missing="Send your member token.",
    query="token",
)


@requires_credential(MEMBER)
async def member(request: Request) -> str:
    """A member's token, checked for its shape as `CredentialsFirst` does, then looked up."""
    refusal = MEMBER.check(request.scope)
    if refusal is not None:
        raise refusal
    token = MEMBER.presented(request.scope)
    if token not in (MEMBER_TOKEN, "pass.2024"):
        auth_failed(request, "member")
        raise unauthenticated("No member has this token.")
    return token


def probe_app(database_url: str, redis_url: str, namespace: str) -> FastAPI:
    runtime, _ = probe_runtime(database_url, redis_url, namespace, organiser_token=TOKEN)
    app = create_service_app("probe", runtime)

    router = APIRouter(dependencies=[Depends(organiser)])

    @router.put("/things/{thing_id}")
    async def replace(thing_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"id": thing_id, "keys": sorted(body)}

    @app.post("/open")
    async def anyone(body: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(body)}

    @app.post("/things", dependencies=[Depends(wrapped)])
    async def create(body: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(body)}

    @app.get("/checked-inside")
    async def checked_inside(request: Request) -> None:
        """Checks the organiser in its body, unmarked: the dependency's own answers, to compare."""
        require_organiser(request, TOKEN)

    @app.patch("/members/{member_id}")
    async def edit_member(
        member_id: str, body: dict[str, Any], token: Annotated[str, Depends(member)]
    ) -> Any:
        return {"id": member_id, "keys": sorted(body), "as": token}

    @app.get("/member-checked-inside")
    async def member_checked_inside(request: Request) -> str:
        """Checks the member in its body, unmarked: the dependency's own answers, to compare."""
        return await member(request)

    app.include_router(router)
    return app


@pytest.fixture
async def probe(
    database_url: str, redis_url: str, namespace: str
) -> AsyncIterator[tuple[ReadCounter, httpx.AsyncClient]]:
    app = probe_app(database_url, redis_url, namespace)
    counter = ReadCounter(app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=counter), base_url="http://probe") as client,
    ):
        yield counter, client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_anonymous_and_wrong_tokens_are_answered_before_the_body_is_read(
    probe: tuple[ReadCounter, httpx.AsyncClient],
) -> None:
    counter, client = probe
    for method, path in (("POST", "/things"), ("PUT", "/things/7")):
        anonymous = await client.request(method, path, json=BIG_BODY)
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
        wrong = await client.request(method, path, json=BIG_BODY, headers=bearer("a guess"))
        assert wrong.status_code == 403
        assert counter.reads == 0, f"{method} {path}: the body was read before the token was checked"
        allowed = await client.request(method, path, json=BIG_BODY, headers=bearer(TOKEN))
        assert allowed.status_code == 200, allowed.text
        assert counter.reads > 0
        counter.reads = 0
    # a route anyone may call reads its body as before
    assert (await client.post("/open", json=BIG_BODY)).status_code == 200 and counter.reads > 0


async def test_the_answers_are_the_dependencys_own(probe: tuple[ReadCounter, httpx.AsyncClient]) -> None:
    _, client = probe
    for headers in ({}, bearer("a guess")):
        early = await client.post("/things", json=BIG_BODY, headers=headers)
        inside = await client.get("/checked-inside", headers=headers)
        assert early.status_code == inside.status_code in (401, 403)
        assert early.headers["content-type"] == inside.headers["content-type"] == PROBLEM_JSON
        assert early.headers.get("www-authenticate") == inside.headers.get("www-authenticate")
        assert early.json() == {**inside.json(), "instance": "/things"}, early.json()
    assert (await client.post("/things", json=BIG_BODY)).json() == {
        "type": "about:blank",
        "title": "Authentication required",
        "status": 401,
        "detail": "Send your token as 'Authorization: Bearer <token>'.",
        "instance": "/things",
    }


async def test_behind_the_gateway_the_prefixed_route_is_checked_too(
    probe: tuple[ReadCounter, httpx.AsyncClient],
) -> None:
    counter, client = probe
    response = await client.post("/things", json=BIG_BODY, headers={"X-Forwarded-Prefix": "/probe"})
    assert response.status_code == 401 and response.json()["instance"] == "/probe/things"
    assert counter.reads == 0


async def test_a_personal_credential_missing_or_malformed_is_answered_before_the_body_is_read(
    probe: tuple[ReadCounter, httpx.AsyncClient],
) -> None:
    counter, client = probe
    before = sample("kaleidoscope_auth_failures_total", service="probe", kind="member")
    before_pass = sample("kaleidoscope_auth_failures_total", service="probe", kind="member_pass")
    url = "/members/7"
    anonymous = await client.patch(url, json=BIG_BODY)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["detail"] == "Send your member token."
    for refused, detail in (
        (client.patch(url, json=BIG_BODY, headers=bearer("guess")), "This is not a member's token."),
        (client.patch(url, json=BIG_BODY, params={"token": "m-0123"}), "This is not a member's token."),
        (client.patch(url, json=BIG_BODY, headers=bearer("pass.forged")), "This pass is forged."),
        (
            client.patch(url, json=BIG_BODY, headers={"Authorization": "Basic bTp4"}),
            "Send your member token.",
        ),
    ):
        response = await refused
        assert response.status_code == 401 and response.json()["detail"] == detail, response.text
    assert counter.reads == 0, "the body was read before the credential was checked"
    # a malformed credential is a failed authentication of its kind; no credential at all is not
    assert sample("kaleidoscope_auth_failures_total", service="probe", kind="member") == before + 2
    assert sample("kaleidoscope_auth_failures_total", service="probe", kind="member_pass") == before_pass + 1

    # the right shape is let through, the body read and the credential looked up by the route
    wrong = await client.patch(url, json=BIG_BODY, headers=bearer("m-ffffffff"))
    assert wrong.status_code == 401 and wrong.json()["detail"] == "No member has this token."
    assert counter.reads > 0
    for allowed in (
        await client.patch(url, json={"a": 1}, headers=bearer(MEMBER_TOKEN)),
        await client.patch(url, json={"a": 1}, params={"token": MEMBER_TOKEN}),
        await client.patch(url, json={"a": 1}, headers=bearer("pass.2024")),
    ):
        assert allowed.status_code == 200 and allowed.json()["keys"] == ["a"], allowed.text


async def test_a_personal_credentials_early_answers_are_the_dependencys_own(
    probe: tuple[ReadCounter, httpx.AsyncClient],
) -> None:
    _, client = probe
    for headers in ({}, bearer("guess"), bearer("pass.forged")):
        early = await client.patch("/members/7", json=BIG_BODY, headers=headers)
        inside = await client.get("/member-checked-inside", headers=headers)
        assert early.status_code == inside.status_code == 401
        assert early.headers["content-type"] == inside.headers["content-type"] == PROBLEM_JSON
        assert early.headers.get("www-authenticate") == inside.headers.get("www-authenticate")
        assert early.json() == {**inside.json(), "instance": "/members/7"}, early.json()


def test_a_credential_takes_any_token_as_one_of_its_kinds() -> None:
    with pytest.raises(ValueError, match="empty prefix"):
        requires_credential(Credential(shapes=(MEMBER.shapes[1],), missing="…"))


async def test_the_middleware_alone_never_calls_receive() -> None:
    """CredentialsFirst around an application that must not be reached: receive() raises if called."""
    app = FastAPI()

    @app.post("/contests", dependencies=[Depends(organiser)])
    async def create() -> None: ...

    @app.put("/members/{member_id}", dependencies=[Depends(member)])
    async def replace_member() -> None: ...

    async def unreachable(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the application was called")

    async def receive() -> Message:
        raise AssertionError("receive() was called")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    middleware = CredentialsFirst(unreachable, routes_of=app, organiser_token=lambda: TOKEN)
    for method, path, headers, status in (
        ("POST", "/contests", [], 401),
        ("POST", "/contests", [(b"authorization", b"Bearer guess")], 403),
        ("PUT", "/members/7", [], 401),
        ("PUT", "/members/7", [(b"authorization", b"Bearer guess")], 401),
    ):
        sent.clear()
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "root_path": "",
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"9000000"), *headers],
            "query_string": b"",
        }
        await middleware(scope, receive, send)
        assert sent[0]["status"] == status
        assert json.loads(sent[1]["body"])["status"] == status


SERVICE_ORGANISER_ROUTES = {
    "submissions": {route for route, access in SUBMISSIONS_MATRIX.items() if access is Access.ORGANISER},
    "judging": {route for route, role in JUDGING_ROLES.items() if role == JUDGING_ORGANISER},
    "notifications": NOTIFICATIONS_ORGANISER,
}


def concrete(path: str) -> str:
    values = {"kind": "entry_received", "language": "ru", "recipient": "someone@example.org"}
    return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


@pytest.mark.parametrize("service", sorted(SERVICE_ORGANISER_ROUTES))
async def test_every_organiser_route_of_every_service_refuses_before_reading(
    service: str, database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    app = service_app(service, database_url, redis_url, namespace, tmp_path)
    assert organiser_routes(app) == SERVICE_ORGANISER_ROUTES[service], (
        "an organiser route the check does not know"
    )
    counter = ReadCounter(app)
    transport = httpx.ASGITransport(app=counter)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://api") as client,
    ):
        for i, (method, path) in enumerate(sorted(SERVICE_ORGANISER_ROUTES[service])):
            # each guess from an address and with a token of its own: the throttle is not tested here
            guesser = {"X-Forwarded-For": f"192.0.2.{i + 1}", **bearer(f"guess{i:02d}")}
            body = BIG_BODY if method in ("POST", "PUT", "PATCH") else None
            anonymous = await client.request(method, concrete(path), json=body)
            assert anonymous.status_code == 401, (method, path, anonymous.text)
            assert anonymous.headers["www-authenticate"] == "Bearer"
            assert anonymous.json()["title"] == "Authentication required"
            wrong = await client.request(method, concrete(path), json=body, headers=guesser)
            assert wrong.status_code == 403, (method, path, wrong.text)
            assert wrong.json()["title"] == "Not allowed"
        assert counter.reads == 0


SERVICE_CREDENTIAL_ROUTES = {
    "submissions": {route for route, access in SUBMISSIONS_MATRIX.items() if access is Access.PARTICIPANT},
    "judging": {route for route, role in JUDGING_ROLES.items() if role in (JUDGING_JUROR, JUDGING_ANY_JUROR)},
    "notifications": set(),
}
"""The routes of a personal credential and nothing else: the entry token's (correct, withdraw), the
juror's. Routes that take one credential or another (an entry token, the organiser's token or a grant
to read an entry or a file) read no body, and answer as before."""
OPEN_BODIES = {
    "submissions": {
        ("POST", "/contests/{contest_id}/entries"),
        ("POST", "/contests/{contest_id}/attachments"),
    },
    "judging": set(),
    "notifications": set(),
}
"""Routes anyone may call that read a body: an entry, an upload (each limited before it is read)."""
MALFORMED = {
    "submissions": ["guess", "a-token/with+other=characters-0123456789abcdef"],
    "judging": ["guess", "juror-sign-in.{uuid}.9999999999.forged", "juror-sign-in.{uuid}.soon.{sig}"],
}
"""Credentials of no shape the route's credential has."""
SHAPED = {"submissions": ("x" * 43, 404), "judging": ("y" * 43, 401)}
"""A credential of the right shape that opens nothing, and what the route answers it once looked up."""


def operations(app: FastAPI) -> dict[tuple[str, str], bool]:
    """Every operation of the app's document, and whether it takes a request body."""
    return {
        (method.upper(), path): "requestBody" in operation
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
    }


class Guessers:
    """Each request from an address and with a token prefix of its own: the throttle is not tested here."""

    def __init__(self) -> None:
        self.count = 0

    def next(self, token: str | None = None) -> dict[str, str]:
        self.count += 1
        n = self.count
        address = {"X-Forwarded-For": f"10.{n // 200}.{n % 200}.1"}
        if token is None:
            return address
        token = token.format(uuid=uuid.uuid4(), sig=f"{n:04d}" + "s" * 39)
        if "." not in token:
            token = f"{n:04d}{token}"  # the throttle counts a prefix by the first characters
        return {**address, **bearer(token)}


@pytest.mark.parametrize("service", sorted(SERVICE_CREDENTIAL_ROUTES))
async def test_every_personal_credential_route_of_every_service_refuses_before_reading(
    service: str, database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    app = service_app(service, database_url, redis_url, namespace, tmp_path)
    assert credential_routes(app) == SERVICE_CREDENTIAL_ROUTES[service], (
        "a credential route the test does not know"
    )
    guarded = organiser_routes(app) | credential_routes(app) | OPEN_BODIES[service]
    ops = operations(app)
    unguarded = {op for op, has_body in ops.items() if has_body and op not in guarded}
    assert unguarded == set(), "routes that read a body before any credential is checked"
    counter = ReadCounter(app)
    guessers = Guessers()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=counter), base_url="http://api", timeout=30
        ) as client,
    ):
        for method, path in sorted(SERVICE_CREDENTIAL_ROUTES[service]):
            url = concrete(path)
            anonymous = await client.request(method, url, json=BIG_BODY, headers=guessers.next())
            assert anonymous.status_code == 401, (method, path, anonymous.text)
            assert anonymous.headers["www-authenticate"] == "Bearer"
            for token in MALFORMED[service]:
                wrong = await client.request(method, url, json=BIG_BODY, headers=guessers.next(token))
                assert wrong.status_code == 401, (method, path, token, wrong.text)
                assert wrong.json()["title"] == "Authentication required"
            if service == "submissions":
                in_link = await client.request(
                    method, url, json=BIG_BODY, params={"token": "guess"}, headers=guessers.next()
                )
                assert in_link.status_code == 401, (method, path, in_link.text)
            assert counter.reads == 0, f"{method} {path}: the body was read before the credential was checked"
            # of the right shape: the route parses the body and looks the credential up
            token, status = SHAPED[service]
            body = {"reason": "by mistake"} if method == "DELETE" else {}
            looked_up = await client.request(method, url, json=body, headers=guessers.next(token))
            assert looked_up.status_code == status, (method, path, looked_up.text)
            assert (counter.reads > 0) is ops[(method, path)], f"{method} {path}: its body was not read"
            counter.reads = 0

        # no route without a body reads one, whoever asks (an event stream's own listening aside)
        for (method, path), has_body in sorted(ops.items()):
            if has_body or path.endswith("/stream"):
                continue
            await client.request(method, concrete(path), json=BIG_BODY, headers=guessers.next())
            assert counter.reads == 0, f"{method} {path} read a body it does not take"
