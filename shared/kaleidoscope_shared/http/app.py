"""What every service's HTTP API has in common: lifespan, health, readiness, metrics, problem details
(503 when the database does not answer), security headers, a request body size limit, credentials
(the organiser's, a juror's, an entry's) checked before a body is read, a throttle on token guessing,
docs pages that work offline and know the bearer scheme, and an OpenAPI document that says each
operation's error answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Response

from ..observability import tracing
from ..observability.metrics import READY
from ..runtime import ServiceRuntime
from .auth_first import CredentialsFirst
from .body_limit import BodyLimit
from .correlation import CorrelationId
from .docs import install_docs
from .forwarded import ForwardedPrefix
from .input_hygiene import InputHygiene
from .metrics import HttpMetrics, MetricsMount, metrics_endpoint
from .openapi import NO_DATABASE, install_openapi
from .problems import install_problem_handlers, problem_response
from .security import SecurityHeaders
from .throttle import AuthThrottle


def create_service_app(
    title: str,
    runtime: ServiceRuntime,
    *,
    body_limits: Mapping[str, int] | None = None,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app whose lifespan opens and closes `runtime` (kept on `app.state.runtime`); traced
    when tracing is on (`observability/tracing.py`).

    Its OpenAPI document gives each operation its error answers as problem documents (`openapi.py`).

        Request bodies are limited to the `max_body_bytes` setting; `body_limits` gives the routes that
        take more (uploads) theirs, by route template: `{"/contests/{contest_id}/attachments": 100 << 20}`.
        `docs_url` and `redoc_url`, if given, move or (None) drop the docs pages, as in FastAPI.
    """
    docs_url = fastapi_kwargs.pop("docs_url", "/docs")
    redoc_url = fastapi_kwargs.pop("redoc_url", "/redoc")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.open()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(title=title, lifespan=lifespan, docs_url=None, redoc_url=None, **fastapi_kwargs)
    app.state.runtime = runtime
    install_problem_handlers(app)
    install_docs(app, docs_url=docs_url, redoc_url=redoc_url)
    install_openapi(app)  # every operation's error answers, from its routes as they are then
    # Innermost first: the 413 of BodyLimit gets the security headers and the correlation id.
    app.add_middleware(InputHygiene)  # reads only what BodyLimit lets through
    # Routes that need a credential refuse a request without one (or with a wrong organiser token, or a
    # personal credential of no possible shape) before anything reads the body.
    app.add_middleware(
        CredentialsFirst,
        routes_of=app,
        organiser_token=lambda: runtime.settings.organiser_token.get_secret_value(),
    )
    app.add_middleware(BodyLimit, default=runtime.settings.max_body_bytes, limits=body_limits)
    # A client throttled for guessing tokens is refused before any token is looked at.
    app.add_middleware(AuthThrottle, runtime=runtime)
    # Inside ForwardedPrefix, which copies the scope: the router names the matched route in this one.
    app.add_middleware(HttpMetrics, service=runtime.settings.service_name, routes=app.routes)
    app.add_middleware(ForwardedPrefix)
    app.router.routes.append(MetricsMount("/metrics", app=metrics_endpoint(runtime)))

    app.add_middleware(SecurityHeaders)
    app.add_middleware(CorrelationId)
    tracing.instrument_app(app)  # with tracing on: a span per request, outermost (nothing when off)

    @app.get("/health", tags=["operations"], openapi_extra={NO_DATABASE: True})
    async def health() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"], response_model=None)
    async def ready() -> Response | dict[str, str]:
        """The process can serve: its database and Redis both answer."""
        database, redis = await runtime.database_answers(), await runtime.redis_answers()
        READY.labels(runtime.settings.service_name).set(1 if database and redis else 0)
        if database and redis:
            return {"status": "ready", "database": "ok", "redis": "ok"}
        return problem_response(
            503,
            "Not ready",
            f"database {'ok' if database else 'not answering'}, redis {'ok' if redis else 'not answering'}",
        )

    return app
