"""Guessing tokens is throttled: failed authentications are counted in the real Redis per client address
and per token prefix, shared by every replica, and past the limit a credentialed request gets 429 with
Retry-After before its token is looked at. A correct token costs no Redis round trip; a Redis that does
not answer leaves authentication as it was. The web front names its visitor to the APIs, so that one
guessing visitor is throttled alone."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
import structlog.testing
from fastapi import FastAPI, Request
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from kaleidoscope_shared.http import throttle
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.http.auth import auth_failed, bearer_token, same_secret, unauthenticated
from kaleidoscope_shared.http.problems import PROBLEM_JSON
from kaleidoscope_shared.http.throttle import client_address, token_prefix, trusted_networks
from kaleidoscope_shared.observability.logging import get_logger
from web.adapters.api import ServiceApi, Services
from web.main import create_app as create_web_app
from web.settings import WebSettings

from .probe import probe_runtime

MEMBER_TOKEN = "member-token-0123456789-abcdefghijklmnop"
CONTEST_ID = "00000000-0000-4000-8000-00000000c0de"
STRANGER = "203.0.113.7"
NEIGHBOUR = "198.51.100.23"


def build_app(database_url: str, redis_url: str, namespace: str, **settings: Any) -> FastAPI:
    """A service with a members' route: a bearer token other than MEMBER_TOKEN is a failed authentication.
    `app.state.checks` counts the times the route looked at a token."""
    runtime, _ = probe_runtime(database_url, redis_url, namespace, **settings)
    app = create_service_app("probe", runtime)
    app.state.checks = 0

    @app.get("/jurors/me")
    async def me(request: Request) -> dict[str, str]:
        token = bearer_token(request)
        if token is None:
            raise unauthenticated()
        app.state.checks += 1
        if not same_secret(token, MEMBER_TOKEN):
            auth_failed(request, "member")
            raise unauthenticated("This token belongs to no member.")
        return {"contest_id": CONTEST_ID}

    @app.get("/public")
    async def public() -> dict[str, str]:
        return {"status": "open to all"}

    return app


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """`app` over ASGI; its peer is 127.0.0.1, a trusted proxy, so X-Forwarded-For names the client."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client,
    ):
        yield client


def as_client(address: str, token: str | None = None) -> dict[str, str]:
    return {"X-Forwarded-For": address, **({"Authorization": f"Bearer {token}"} if token else {})}


def wrong(n: int) -> str:
    return f"guess{n:03d}-{uuid.uuid4().hex}"


def assert_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["title"] == "Too many failed authentications" and problem["status"] == 429
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60 and problem["retry_after_s"] == retry_after
    assert response.headers["cache-control"] == "no-store"  # still answered through the security headers
    return retry_after


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
    """What the throttle logs during the test, from INFO up, however logging was configured before."""
    previous = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with structlog.testing.capture_logs() as entries:
            monkeypatch.setattr(throttle, "log", get_logger(throttle.__name__))
            yield entries
    finally:
        structlog.configure(wrapper_class=previous)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_past_the_limit_an_address_gets_429_before_its_token_is_looked_at(
    database_url: str, redis_url: str, namespace: str, redis: Redis
) -> None:
    app = build_app(database_url, redis_url, namespace, auth_failures_per_minute=3)
    async with serving(app) as client:
        for n in range(3):
            response = await client.get("/jurors/me", headers=as_client(STRANGER, wrong(n)))
            assert response.status_code == 401, response.text
        assert_throttled(await client.get("/jurors/me", headers=as_client(STRANGER, wrong(3))))
        checks = app.state.checks
        assert_throttled(await client.get("/jurors/me", headers=as_client(STRANGER, MEMBER_TOKEN)))
        assert_throttled(
            await client.get("/jurors/me", params={"token": MEMBER_TOKEN}, headers=as_client(STRANGER))
        )
        assert app.state.checks == checks, "a throttled request's token was looked at"
        # the throttle is the stranger's alone, and only for requests carrying a credential
        assert (await client.get("/public", headers=as_client(STRANGER))).status_code == 200
        assert (await client.get("/jurors/me", headers=as_client(NEIGHBOUR, MEMBER_TOKEN))).status_code == 200

    key = f"{namespace}.throttle.address.{STRANGER}"
    assert int(await redis.get(key) or 0) == 3  # the guesses after the third were never checked nor counted
    assert 0 < await redis.ttl(key) <= 60


async def test_replicas_share_the_count(database_url: str, redis_url: str, namespace: str) -> None:
    one = build_app(database_url, redis_url, namespace, auth_failures_per_minute=3)
    other = build_app(database_url, redis_url, namespace, auth_failures_per_minute=3)
    async with serving(one) as first, serving(other) as second:
        for n in range(3):
            assert (await first.get("/jurors/me", headers=as_client(STRANGER, wrong(n)))).status_code == 401
        # the other replica counts the next failure past the limit: a 429, not its 401
        assert_throttled(await second.get("/jurors/me", headers=as_client(STRANGER, wrong(3))))
        checks = other.state.checks
        assert_throttled(await second.get("/jurors/me", headers=as_client(STRANGER, MEMBER_TOKEN)))
        assert other.state.checks == checks
        assert (await second.get("/jurors/me", headers=as_client(NEIGHBOUR, MEMBER_TOKEN))).status_code == 200


async def test_one_token_prefix_is_throttled_from_any_address(
    database_url: str, redis_url: str, namespace: str, redis: Redis
) -> None:
    app = build_app(
        database_url,
        redis_url,
        namespace,
        auth_failures_per_minute=100,
        auth_failures_per_prefix_per_minute=3,
    )
    same_start = [f"member-{uuid.uuid4().hex}" for _ in range(5)]
    async with serving(app) as client:
        for n in range(3):
            response = await client.get("/jurors/me", headers=as_client(f"192.0.2.{n + 1}", same_start[n]))
            assert response.status_code == 401
        assert_throttled(await client.get("/jurors/me", headers=as_client("192.0.2.50", same_start[3])))
        # MEMBER_TOKEN starts as they do: it waits too; a token starting otherwise does not
        assert_throttled(await client.get("/jurors/me", headers=as_client("192.0.2.51", MEMBER_TOKEN)))
        other = await client.get("/jurors/me", headers=as_client("192.0.2.52", "x" + same_start[4]))
        assert other.status_code == 401
    assert int(await redis.get(f"{namespace}.throttle.prefix.{token_prefix(same_start[0])}") or 0) == 3
    keys = [key.decode() async for key in redis.scan_iter(match=f"{namespace}.throttle.*")]
    assert not any("member-" in key for key in keys), "a key names the token's characters"


async def test_failures_are_logged_and_counted_without_the_token(
    database_url: str,
    redis_url: str,
    namespace: str,
    logged: list[MutableMapping[str, Any]],
) -> None:
    app = build_app(database_url, redis_url, namespace, auth_failures_per_minute=2)
    before = sample("kaleidoscope_auth_failures_total", service="probe", kind="member")
    throttled_before = sample("kaleidoscope_auth_throttled_total", service="probe", by="address")
    guesses = [wrong(n) for n in range(4)]
    async with serving(app) as client:
        for guess in guesses:
            await client.get("/jurors/me", headers=as_client(STRANGER, guess))
    # two 401s counted; the third and fourth guesses were refused before any check
    assert sample("kaleidoscope_auth_failures_total", service="probe", kind="member") == before + 2
    assert sample("kaleidoscope_auth_throttled_total", service="probe", by="address") == throttled_before + 2
    lines = list(logged)
    failed = [line for line in lines if line["event"] == "http.auth_failed"]
    throttled = [line for line in lines if line["event"] == "http.auth_throttled"]
    assert len(failed) == 2 and {line["address"] for line in failed} == {STRANGER}
    assert failed[0]["kind"] == "member" and failed[0]["path"] == "/jurors/me"
    [started] = [line for line in throttled if line.get("started")]
    assert started["log_level"] == "warning" and started["address"] == STRANGER and started["failures"] == 2
    assert [line["log_level"] for line in throttled if not line.get("started")] == ["info", "info"]
    assert not any(guess[:8] in json.dumps(line) for line in lines for guess in guesses)


async def test_a_correct_token_costs_no_redis_round_trip(
    database_url: str, redis_url: str, namespace: str
) -> None:
    app = build_app(database_url, redis_url, namespace, auth_failures_per_minute=2)
    runtime = app.state.runtime
    calls: list[str] = []
    pipeline, execute = runtime.redis.pipeline, runtime.redis.execute_command

    def counted_pipeline(*args: Any, **kwargs: Any) -> Any:
        calls.append("pipeline")
        return pipeline(*args, **kwargs)

    async def counted_command(*args: Any, **kwargs: Any) -> Any:
        calls.append(str(args[0]))
        return await execute(*args, **kwargs)

    runtime.redis.pipeline, runtime.redis.execute_command = counted_pipeline, counted_command
    async with serving(app) as client:
        for _ in range(5):
            assert (
                await client.get("/jurors/me", headers=as_client(STRANGER, MEMBER_TOKEN))
            ).status_code == 200
        assert calls == []
        for n in range(2):
            await client.get("/jurors/me", headers=as_client(STRANGER, wrong(n)))
        assert calls == ["pipeline", "pipeline"]  # one round trip per failure
        for _ in range(3):  # throttled: answered from what the process holds
            assert_throttled(await client.get("/jurors/me", headers=as_client(STRANGER, MEMBER_TOKEN)))
        assert calls == ["pipeline", "pipeline"]


async def test_without_redis_authentication_works_as_before(
    database_url: str, namespace: str, logged: list[MutableMapping[str, Any]]
) -> None:
    app = build_app(database_url, "redis://127.0.0.1:1/0", namespace, auth_failures_per_minute=2)
    async with serving(app) as client:
        started = time.monotonic()
        for n in range(5):
            response = await client.get("/jurors/me", headers=as_client(STRANGER, wrong(n)))
            assert response.status_code == 401, response.text
        assert time.monotonic() - started < 5
        assert (await client.get("/jurors/me", headers=as_client(STRANGER, MEMBER_TOKEN))).status_code == 200
    events = [line["event"] for line in logged]
    assert events.count("http.auth_throttle_unavailable") == 1  # logged once, not per request
    assert events.count("http.auth_failed") == 5


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),
        ("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.1.2.3", "203.0.113.7"),  # 10.1.2.3 is a trusted proxy
        ("198.51.100.1", "203.0.113.7", "198.51.100.1"),  # an untrusted peer cannot name someone else
        ("127.0.0.1", "2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # one host's IPv6 /64 is one client
        ("::ffff:198.51.100.9", None, "198.51.100.9"),
        ("127.0.0.1", "127.0.0.5", "127.0.0.5"),  # proxies all the way: the farthest one
    ],
)
def test_the_client_address(peer: str, forwarded: str | None, client: str) -> None:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    scope = {"type": "http", "client": (peer, 5000), "headers": headers}
    assert client_address(scope, trusted_networks(["127.0.0.0/8", "::1", "10.0.0.0/8"])) == client


def test_a_grant_is_counted_by_its_signature_not_its_public_scope() -> None:
    one = "entry-file.6f1c.1900000000.SIGNATUREone"
    two = "entry-file.6f1c.1900000000.signatureTWO"
    assert token_prefix(one) != token_prefix(two)
    assert token_prefix(one) == token_prefix("entry-documents.x.1.SIGNATxyz")


async def test_the_web_front_names_its_visitor_so_a_guesser_is_throttled_alone(
    database_url: str, redis_url: str, namespace: str
) -> None:
    judging = build_app(database_url, redis_url, namespace, auth_failures_per_minute=3)

    def api(name: str) -> ServiceApi:
        return ServiceApi(name, f"http://{name}", 5, transport=httpx.ASGITransport(app=judging))

    services = Services(
        submissions=api("submissions"), judging=api("judging"), notifications=api("notifications")
    )
    web = create_web_app(WebSettings(environment="test", log_format="console"), services=services)

    def visitor(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=web, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://web")

    async with (
        judging.router.lifespan_context(judging),
        visitor(STRANGER) as guesser,
        visitor(NEIGHBOUR) as juror,
    ):
        for n in range(5):
            answer = await guesser.get("/jury/sign-in", params={"ticket": wrong(n)})
        assert answer.status_code != 303
        redis = judging.state.runtime.redis
        assert int(await redis.get(f"{namespace}.throttle.address.{STRANGER}") or 0) == 3
        assert await redis.get(f"{namespace}.throttle.address.127.0.0.1") is None, "counted the web front"
        signed_in = await juror.get("/jury/sign-in", params={"ticket": MEMBER_TOKEN})
        assert signed_in.status_code == 303, signed_in.text
        assert re.fullmatch(rf"/jury/{CONTEST_ID}", signed_in.headers["location"])
    await services.close()


def service_app(service: str, database_url: str, redis_url: str, namespace: str, tmp_path: Path) -> FastAPI:
    """One of the three services, throttling after 3 failed authentications from one address."""
    limits: dict[str, Any] = {"auth_failures_per_minute": 3, "log_level": "WARNING"}
    if service == "submissions":
        from submissions.main import create_app as create_submissions
        from submissions.settings import SubmissionsSettings

        return create_submissions(
            SubmissionsSettings(
                database_url=database_url,
                redis_url=redis_url,
                bus_namespace=namespace,
                data_dir=str(tmp_path),
                environment="test",
                **limits,
            )
        )
    if service == "judging":
        from judging.main import create_app as create_judging

        from ..judging.service.judging_kit import settings_for as judging_settings

        return create_judging(judging_settings(database_url, redis_url, namespace, **limits))
    from notifications.main import create_app as create_notifications
    from notifications.settings import NotificationsSettings

    return create_notifications(
        NotificationsSettings(
            database_url=database_url,
            redis_url=redis_url,
            bus_namespace=namespace,
            data_dir=str(tmp_path),
            default_channels=["file"],
            **limits,
        )
    )


SOMEONE = "3f6e4c1a-0000-4000-8000-000000000001"
FORGED_TICKET = f"juror-sign-in.{SOMEONE}.9999999999.forged"
SHAPED_GUESS = "guess-of-an-entry-token-0123456789-abcdefgh"
"""A wrong entry token of the right shape (43 URL-safe characters): it is looked up, and opens nothing."""
REFUSALS = [
    # service, kind of credential, request, the answer while not throttled
    ("submissions", "entry_token", ("GET", f"/entries/{SOMEONE}", {"token": "guess"}, None), 404),
    ("submissions", "entry_token", ("PATCH", f"/entries/{SOMEONE}", {}, SHAPED_GUESS), 404),
    # of no shape an entry token has: refused before the body is read, and counted all the same
    ("submissions", "entry_token", ("PATCH", f"/entries/{SOMEONE}", {}, "guess"), 401),
    (
        "judging",
        "juror",
        ("PUT", f"/contests/{SOMEONE}/stages/{SOMEONE}/entries/{SOMEONE}/my-score", {}, "guess"),
        401,
    ),
    ("judging", "sign_in_ticket", ("POST", f"/contests/{SOMEONE}/recusals", {}, FORGED_TICKET), 401),
    (
        "submissions",
        "grant",
        ("GET", f"/entries/{SOMEONE}/attachments/a.pdf", {"grant": "g.x.1.sig"}, None),
        404,
    ),
    (
        "submissions",
        "organiser",
        ("GET", "/contests", {}, "guess"),
        200,
    ),  # the public list, not the organiser's
    ("submissions", "organiser", ("POST", "/contests", {}, "guess"), 403),
    ("judging", "juror", ("GET", "/jurors/me", {}, "guess"), 401),
    ("judging", "sign_in_ticket", ("GET", "/jurors/me", {}, FORGED_TICKET), 401),
    ("judging", "organiser", ("GET", f"/contests/{SOMEONE}/jurors", {}, "guess"), 403),
    ("notifications", "grant", ("GET", f"/entries/{SOMEONE}/documents", {"grant": "g.x.1.sig"}, None), 404),
    ("notifications", "organiser", ("GET", f"/entries/{SOMEONE}/documents", {}, "guess"), 404),
    ("notifications", "organiser", ("GET", "/documents", {}, "guess"), 403),
]


@pytest.mark.parametrize(
    ("service", "kind", "request_", "status"),
    REFUSALS,
    ids=[f"{r[0]}-{r[1]}-{r[2][0]}-{r[3]}" for r in REFUSALS],
)
async def test_each_service_counts_the_credentials_it_refuses(
    service: str,
    kind: str,
    request_: tuple[str, str, dict[str, str], str | None],
    status: int,
    database_url: str,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    method, path, params, token = request_
    app = service_app(service, database_url, redis_url, namespace, tmp_path)
    before = sample("kaleidoscope_auth_failures_total", service=service, kind=kind)
    body = {"annotation": "x"} if method in ("PATCH", "POST", "PUT") else None
    async with serving(app) as client:
        for _ in range(3):
            response = await client.request(
                method, path, params=params, json=body, headers=as_client(STRANGER, token)
            )
            assert response.status_code == status, response.text
        response = await client.request(
            method, path, params=params, json=body, headers=as_client(STRANGER, token)
        )
        assert_throttled(response)
    assert sample("kaleidoscope_auth_failures_total", service=service, kind=kind) == before + 3
