"""The web front: `create_app` (an app factory) and `cli` (`python -m web api`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import typer
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import make_asgi_app
from starlette.middleware.sessions import SessionMiddleware

from kaleidoscope_shared.http.body_limit import BodyLimit
from kaleidoscope_shared.http.metrics import HttpMetrics, MetricsMount
from kaleidoscope_shared.observability import tracing
from kaleidoscope_shared.observability.logging import configure_logging

from .adapters.api import ServiceApi, Services
from .entrypoints import console, hall, jury, participant, public
from .entrypoints.errors import install_error_pages
from .entrypoints.security import PageHeaders
from .i18n import current_language, language_of
from .settings import WebSettings

STATIC = Path(__file__).parent / "static"
FORM_BODY_BYTES = 1024 * 1024
# Files: an upload streamed through to submissions (which holds each contest to its own, smaller limit),
# or a form sent without JavaScript with its files; as much as the gateway lets through.
UPLOAD_BODY_BYTES = 100 * 1024 * 1024


def create_app(settings: WebSettings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or WebSettings()
    configure_logging("web", settings.log_level, settings.log_format)
    tracing.configure_tracing("web", settings.otlp_endpoint, settings.trace_sample_ratio)
    services = services or Services(
        submissions=ServiceApi("submissions", settings.submissions_url, settings.api_timeout_s),
        judging=ServiceApi("judging", settings.judging_url, settings.api_timeout_s),
        notifications=ServiceApi("notifications", settings.notifications_url, settings.api_timeout_s),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await app.state.hall_feeds.close()
            await services.close()

    app = FastAPI(
        title="Kaleidoscope web", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings
    app.state.services = services
    app.state.hall_feeds = hall.HallFeeds(services.judging)

    @app.middleware("http")
    async def visitor_language(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        token = current_language.set(language_of(request))
        try:
            response = await call_next(request)
        finally:
            current_language.reset(token)
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie="kaleidoscope_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.cookies_https_only(),
    )
    # Forms are read whole before a page handler runs: 1 MiB is far more than any form of the site.
    # Uploads stream through to submissions, which enforces each contest's limit as they pass.
    app.add_middleware(
        BodyLimit,
        default=FORM_BODY_BYTES,
        limits={
            "/contests/{contest_id}/uploads": UPLOAD_BODY_BYTES,
            "/contests/{contest_id}/submit": UPLOAD_BODY_BYTES,
            "/entries/{entry_id}/edit": UPLOAD_BODY_BYTES,
        },
    )
    # Requests counted and timed by route template (kaleidoscope_http_requests_total{service="web"}),
    # hall screens served (kaleidoscope_hall_viewers): /metrics, as on every API, without a redirect.
    app.add_middleware(HttpMetrics, service="web", routes=app.routes)
    # Security headers on every answer (security.py), outside the others so a 413 and the cookie the session
    # sets (which makes an answer no-store) pass through it.
    app.add_middleware(PageHeaders, https=settings.served_over_https())
    app.router.routes.append(MetricsMount("/metrics", app=make_asgi_app()))
    # with tracing on: a span per page, outermost (nothing when off); unsampled pages stay
    # instrumented, for their httpx calls carry the "not sampled" context only then
    tracing.instrument_app(app, quiet_unsampled=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    for module in (public, participant, jury, hall, console):
        app.include_router(module.router)
    install_error_pages(app)
    return app


cli = typer.Typer(help="The web front: every page people use, over the three services' APIs.")


@cli.command()
def api(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the web front."""
    uvicorn.run(
        "web.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips=",".join(WebSettings().trusted_proxies),
    )


@cli.command()
def version() -> None:
    """Print the web front's version."""
    typer.echo("kaleidoscope-web 0.1.0")
