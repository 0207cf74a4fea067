"""The web front: `create_app` (an app factory) and `cli` (`python -m web api`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import typer
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from kaleidoscope_shared.observability.logging import configure_logging

from .adapters.api import ServiceApi, Services
from .entrypoints import hall, jury, participant, public
from .entrypoints.errors import install_error_pages
from .i18n import current_language, language_of
from .settings import WebSettings

STATIC = Path(__file__).parent / "static"


def create_app(settings: WebSettings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or WebSettings()
    configure_logging("web", settings.log_level, settings.log_format)
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
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie="kaleidoscope_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.cookies_https_only(),
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    for module in (public, participant, jury, hall):
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
        forwarded_allow_ips="*",
    )


@cli.command()
def version() -> None:
    """Print the web front's version."""
    typer.echo("kaleidoscope-web 0.1.0")
