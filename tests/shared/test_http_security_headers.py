"""Every answer of every service carries the security headers; answers to requests that carry a token
are never cached; a 401 names the bearer scheme and a 405 the methods allowed; an error that is not
the database's unavailability stays a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import text

from judging.main import create_app as create_judging_app
from judging.settings import JudgingSettings
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.http.auth import require_organiser
from kaleidoscope_shared.http.problems import PROBLEM_JSON, ProblemError
from kaleidoscope_shared.http.security import API_CSP
from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN
from notifications.main import create_app as create_notifications_app
from notifications.settings import NotificationsSettings
from submissions.main import create_app as create_submissions_app
from submissions.settings import SubmissionsSettings
from web.main import create_app as create_web_app
from web.settings import WebSettings

from .probe import probe_runtime

NO_REDIS = "redis://127.0.0.1:1/0"


def assert_security_headers(response: httpx.Response, csp: str | None = API_CSP) -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.headers
    assert response.headers["referrer-policy"] == "no-referrer", response.headers
    if csp is not None:
        assert response.headers["content-security-policy"] == csp, response.headers


def probe_app(tmp_path: Path) -> FastAPI:
    runtime, _ = probe_runtime(f"sqlite+aiosqlite:///{tmp_path}/probe.db", NO_REDIS, "security")
    app = create_service_app("probe", runtime)

    @app.get("/organisers-only")
    async def organisers_only(request: Request) -> dict[str, str]:
        require_organiser(request, DEVELOPMENT_ORGANISER_TOKEN)
        return {"status": "ok"}

    @app.get("/refused")
    async def refused() -> None:
        raise ProblemError(401, "Who are you?", "a token is needed")

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    @app.get("/missing-file")
    async def missing_file() -> None:
        (tmp_path / "nowhere.txt").read_bytes()

    @app.get("/wrong-statement")
    async def wrong_statement() -> None:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT * FROM no_such_table"))

    return app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=probe_app(tmp_path), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        yield client


async def test_answers_carry_the_security_headers_and_are_cached_only_without_a_token(
    client: httpx.AsyncClient,
) -> None:
    plain = await client.get("/health")
    assert_security_headers(plain)
    assert "no-store" not in plain.headers.get("cache-control", "")
    for request in (
        client.get("/health", headers={"Authorization": "Bearer abc"}),
        client.get("/health", params={"token": "abc"}),
        client.get("/health", params={"grant": "abc"}),
        client.get("/nowhere", params={"token": ""}),
    ):
        response = await request
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert_security_headers(response)


async def test_a_401_names_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    for path in ("/organisers-only", "/refused"):
        response = await client.get(path)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == PROBLEM_JSON
        assert_security_headers(response)
    wrong = await client.get("/organisers-only", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 403 and "www-authenticate" not in wrong.headers


async def test_a_405_names_the_methods_allowed(client: httpx.AsyncClient) -> None:
    response = await client.post("/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.headers["content-type"] == PROBLEM_JSON
    assert_security_headers(response)


async def test_errors_other_than_an_unavailable_database_stay_500(client: httpx.AsyncClient) -> None:
    for path in ("/broken", "/missing-file", "/wrong-statement"):
        response = await client.get(path)
        assert response.status_code == 500, (path, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON
        assert "retry-after" not in response.headers
        assert_security_headers(response)


@pytest.mark.parametrize("service", ["submissions", "judging", "notifications"])
async def test_every_service_answers_with_the_security_headers(service: str, tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
    app = {
        "submissions": lambda: create_submissions_app(
            SubmissionsSettings(database_url=database_url, redis_url=NO_REDIS)
        ),
        "judging": lambda: create_judging_app(JudgingSettings(database_url=database_url, redis_url=NO_REDIS)),
        "notifications": lambda: create_notifications_app(
            NotificationsSettings(database_url=database_url, redis_url=NO_REDIS, data_dir=str(tmp_path))
        ),
    }[service]()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        for path in ("/health", "/nowhere", "/openapi.json", "/docs-static/swagger-ui.css"):
            response = await client.get(path)
            assert_security_headers(response)
        docs = await client.get("/docs")
        assert_security_headers(docs, csp=None)
        assert "'nonce-" in docs.headers["content-security-policy"]
        too_big = await client.put("/anything", content=b"{}" * (1024 * 1024))
        assert too_big.status_code == 413 and too_big.headers["content-type"] == PROBLEM_JSON
        assert_security_headers(too_big)


async def test_the_web_front_limits_form_bodies_but_not_uploads() -> None:
    """The web front is built without `create_service_app`; it has the same body limit of its own."""
    app = create_web_app(WebSettings(submissions_url="http://127.0.0.1:1", api_timeout_s=1))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://web") as client:
        contest = "00000000-0000-0000-0000-000000000001"
        form = await client.post(f"/entries/{contest}/withdraw", content=b"a=" + b"x" * (1024 * 1024))
        assert form.status_code == 413 and form.headers["content-type"] == PROBLEM_JSON
        upload = await client.post(
            f"/contests/{contest}/uploads", params={"filename": "a.pdf"}, content=b"x" * (2 * 1024 * 1024)
        )
        assert upload.status_code != 413, upload.text
        # the entry form sent with its files (no script) may carry them; past the upload limit, 413
        with_files = await client.post(
            f"/contests/{contest}/submit", content=b"a=" + b"x" * (2 * 1024 * 1024)
        )
        assert with_files.status_code != 413, with_files.text
        too_many = await client.post(
            f"/contests/{contest}/submit", content=b"", headers={"content-length": str(101 * 1024 * 1024)}
        )
        assert too_many.status_code == 413
