"""The docs pages work offline (every asset is served by the app itself), also under the gateway's
prefix, and the OpenAPI document declares the bearer scheme so Swagger UI can send a token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request

from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.http.auth import bearer_token
from kaleidoscope_shared.http.docs import BEARER_SCHEME, DOCS_STATIC_URL
from submissions.main import create_app as create_submissions_app
from submissions.settings import SubmissionsSettings

from .probe import probe_runtime

# No lifespan is entered: the docs need neither the database nor Redis.
NO_REDIS = "redis://127.0.0.1:1/0"
PAGES = ("/docs", "/redoc")
# Every URL a docs page makes the browser load: links, scripts, the spec, Swagger UI's OAuth2 redirect.
REFERENCE = re.compile(r"""(?:href|src|spec-url)="([^"]*)"|url: '([^']*)'|\+ '([^']*)'""")
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}


def probe_app(tmp_path: Path, **fastapi_kwargs: object) -> FastAPI:
    runtime, _ = probe_runtime(f"sqlite+aiosqlite:///{tmp_path}/probe.db", NO_REDIS, "docs")
    app = create_service_app("probe", runtime, **fastapi_kwargs)

    @app.get("/whoami")
    async def whoami(token: str | None = None) -> dict[str, str | None]:
        return {"token": token}

    return app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=probe_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        yield client


def references(html: str) -> list[str]:
    return [
        next(group for group in match.groups() if group is not None) for match in REFERENCE.finditer(html)
    ]


async def assert_offline_docs(client: httpx.AsyncClient, prefix: str = "") -> None:
    """Each page names only same-origin URLs under `prefix`, and each answers with its content type."""
    headers = {"X-Forwarded-Prefix": prefix} if prefix else {}
    for page in PAGES:
        response = await client.get(page, headers=headers)
        assert response.status_code == 200, page
        assert re.search(r"https?://|['\"]//", response.text) is None, f"{page} names another host"
        urls = references(response.text)
        assert f"{prefix}/openapi.json" in urls, page
        assert any(url.startswith(f"{prefix}{DOCS_STATIC_URL}/") for url in urls), page
        for url in urls:
            assert url.startswith(f"{prefix}/"), (page, url)
            if url.endswith("/oauth2-redirect"):
                continue  # only loaded by an OAuth2 flow; the route is checked on its own
            # The gateway strips the prefix it forwards in the header.
            asset = await client.get(url.removeprefix(prefix), headers=headers)
            assert asset.status_code == 200, (page, url)
            suffix = Path(url).suffix
            assert asset.headers["content-type"].startswith(CONTENT_TYPES[suffix]), (url, asset.headers)
            assert asset.content, url


async def test_the_docs_pages_load_every_asset_from_the_app_itself(client: httpx.AsyncClient) -> None:
    await assert_offline_docs(client)
    swagger = (await client.get("/docs")).text
    assert (
        f"{DOCS_STATIC_URL}/swagger-ui-bundle.js" in swagger
        and f"{DOCS_STATIC_URL}/swagger-ui.css" in swagger
    )
    assert f"{DOCS_STATIC_URL}/redoc.standalone.js" in (await client.get("/redoc")).text
    assert (await client.get("/docs/oauth2-redirect")).status_code == 200


async def test_behind_the_gateway_the_docs_name_the_spec_and_assets_under_the_prefix(
    client: httpx.AsyncClient,
) -> None:
    await assert_offline_docs(client, "/probe")
    swagger = (await client.get("/docs", headers={"X-Forwarded-Prefix": "/probe"})).text
    assert "url: '/probe/openapi.json'" in swagger
    assert "'/probe/docs/oauth2-redirect'" in swagger
    assert f'src="/probe{DOCS_STATIC_URL}/swagger-ui-bundle.js"' in swagger


async def test_the_openapi_document_declares_an_optional_bearer_scheme(client: httpx.AsyncClient) -> None:
    for _ in range(2):  # the additions are made once, not once per request
        openapi = (await client.get("/openapi.json")).json()
        assert openapi["components"]["securitySchemes"] == {
            BEARER_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "Send your token as `Authorization: Bearer <token>`.",
            }
        }
        assert openapi["security"] == [{BEARER_SCHEME: []}, {}]
    assert "/whoami" in openapi["paths"] and "/health" in openapi["paths"]
    # Documentation only: requests are not refused for lacking a token.
    assert (await client.get("/whoami")).status_code == 200


async def test_routes_added_after_the_first_openapi_request_keep_the_bearer_scheme(tmp_path: Path) -> None:
    app = probe_app(tmp_path)
    assert app.openapi()["security"] == [{BEARER_SCHEME: []}, {}]

    @app.get("/later")
    async def later() -> None:
        return None

    openapi = app.openapi()
    assert "/later" in openapi["paths"]
    assert BEARER_SCHEME in openapi["components"]["securitySchemes"]
    assert openapi["security"] == [{BEARER_SCHEME: []}, {}]


async def test_docs_pages_can_still_be_moved_or_dropped(tmp_path: Path) -> None:
    moved = probe_app(tmp_path, docs_url="/api-docs", redoc_url=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=moved), base_url="http://probe") as client:
        assert (await client.get("/api-docs")).status_code == 200
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/redoc")).status_code == 404
    dropped = probe_app(tmp_path, docs_url=None, redoc_url=None)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=dropped), base_url="http://probe"
    ) as client:
        assert (await client.get(f"{DOCS_STATIC_URL}/swagger-ui.css")).status_code == 404
        assert BEARER_SCHEME in (await client.get("/openapi.json")).json()["components"]["securitySchemes"]


async def test_a_service_app_serves_offline_docs_with_the_bearer_scheme(tmp_path: Path) -> None:
    app = create_submissions_app(SubmissionsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://submissions"
    ) as client:
        await assert_offline_docs(client)
        await assert_offline_docs(client, "/submissions")
        openapi = (await client.get("/openapi.json")).json()
    assert openapi["components"]["securitySchemes"][BEARER_SCHEME] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Send your token as `Authorization: Bearer <token>`.",
    }
    assert openapi["security"] == [{BEARER_SCHEME: []}, {}]
    assert "/contests" in openapi["paths"]


def test_the_scheme_declared_is_the_one_the_services_read() -> None:
    """What Swagger UI sends for an `http`/`bearer` scheme is what `bearer_token` reads."""
    request = Request({"type": "http", "headers": [(b"authorization", b"Bearer s3cret")]})
    assert bearer_token(request) == "s3cret"
