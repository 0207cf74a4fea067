"""The API docs pages, served by the service itself: Swagger UI at `/docs`, ReDoc at `/redoc`.

FastAPI's own pages load their scripts and styles from a CDN, so on a machine without internet they
stay blank. Here the assets that `fastapi-offline` ships are mounted at `/docs-static`, and the pages
name them, and the OpenAPI document, under the request's `root_path` (the gateway's prefix, see
`forwarded.py`), so `/judging/docs` loads `/judging/docs-static/...` and `/judging/openapi.json`.

The OpenAPI document also declares the bearer scheme every service reads by hand (`auth.py`), as an
optional requirement on every operation: Swagger UI then shows its Authorize button and sends the
token with "Try it out". It is documentation only; each endpoint still checks tokens itself.

Every other answer carries a Content-Security-Policy that allows nothing (`security.py`). The pages set
their own (`docs_csp`): scripts from the service itself plus their inline bootstrap script, marked
with a nonce made per answer; styles from the service and inline (Swagger UI and ReDoc style elements
from script); images and fonts from the service or `data:`; requests ("Try it out") only to the
service; and never in a frame.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_STATIC_URL = "/docs-static"
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"

BEARER_SCHEME = "bearerAuth"
BEARER_SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "Send your token as `Authorization: Bearer <token>`.",
}


def install_docs(app: FastAPI, *, docs_url: str | None = "/docs", redoc_url: str | None = "/redoc") -> None:
    """Serve the docs pages of `app` (built with `docs_url=None, redoc_url=None`) from local assets."""
    declare_bearer_auth(app)
    openapi_url = app.openapi_url
    if openapi_url is None or (docs_url is None and redoc_url is None):
        return
    app.mount(DOCS_STATIC_URL, StaticFiles(directory=DOCS_ASSETS), name="docs-static")

    if docs_url is not None:
        oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url

        @app.get(docs_url, include_in_schema=False)
        async def swagger_ui_html(request: Request) -> HTMLResponse:
            root = _root_path(request)
            page = get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=root + oauth2_redirect_url if oauth2_redirect_url else None,
                swagger_js_url=f"{root}{DOCS_STATIC_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{DOCS_STATIC_URL}/swagger-ui.css",
                swagger_favicon_url=f"{root}{DOCS_STATIC_URL}/favicon.png",
                # No validator badge: it is an image fetched from validator.swagger.io.
                swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
                init_oauth=app.swagger_ui_init_oauth,
            )
            return _with_csp(page)

        if oauth2_redirect_url:

            @app.get(oauth2_redirect_url, include_in_schema=False)
            async def swagger_ui_redirect() -> HTMLResponse:
                return _with_csp(get_swagger_ui_oauth2_redirect_html())

    if redoc_url is not None:

        @app.get(redoc_url, include_in_schema=False)
        async def redoc_html(request: Request) -> HTMLResponse:
            root = _root_path(request)
            page = get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{DOCS_STATIC_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{DOCS_STATIC_URL}/favicon.png",
                with_google_fonts=False,
            )
            return _with_csp(page, eval_allowed=True)


def docs_csp(nonce: str, *, eval_allowed: bool = False) -> str:
    """The policy of a docs page whose inline scripts carry `nonce`. ReDoc builds a few validators
    with `new Function` and runs its search in a worker made from a `blob:` URL: `eval_allowed` lets it."""
    script = f"script-src 'self' 'nonce-{nonce}'" + (" 'unsafe-eval'" if eval_allowed else "")
    return "; ".join(
        (
            "default-src 'none'",
            script,
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            *(["worker-src blob:"] if eval_allowed else []),
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def _with_csp(page: HTMLResponse, *, eval_allowed: bool = False) -> HTMLResponse:
    """`page` with a nonce on each of its scripts and the policy that names it."""
    nonce = secrets.token_urlsafe(16)
    html = bytes(page.body).decode().replace("<script", f'<script nonce="{nonce}"')
    return HTMLResponse(html, headers={"Content-Security-Policy": docs_csp(nonce, eval_allowed=eval_allowed)})


def declare_bearer_auth(app: FastAPI) -> None:
    """Make `app`'s OpenAPI document declare the bearer scheme, optional on every operation."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI's, cached by it; the additions below are idempotent
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {}).setdefault(BEARER_SCHEME, dict(BEARER_SECURITY_SCHEME))
        # Either the token or nothing: many endpoints are public, and the others answer 401/403
        # without it. Swagger UI, once authorised, sends the token with every request either way.
        schema.setdefault("security", [{BEARER_SCHEME: []}, {}])
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _root_path(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")
