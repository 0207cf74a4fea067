"""What every service's HTTP API has in common: lifespan, health, readiness, metrics, problem details."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import make_asgi_app

from ..runtime import ServiceRuntime
from .forwarded import ForwardedPrefix
from .problems import install_problem_handlers, problem_response

CORRELATION_HEADER = "X-Correlation-ID"


def create_service_app(title: str, runtime: ServiceRuntime, **fastapi_kwargs: Any) -> FastAPI:
    """A FastAPI app whose lifespan opens and closes `runtime` (kept on `app.state.runtime`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.open()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(title=title, lifespan=lifespan, **fastapi_kwargs)
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.add_middleware(ForwardedPrefix)
    app.mount("/metrics", make_asgi_app())

    @app.middleware("http")
    async def correlation(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
            response = await call_next(request)
        response.headers[CORRELATION_HEADER] = correlation_id
        return response

    @app.get("/health", tags=["operations"])
    async def health() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"], response_model=None)
    async def ready() -> Response | dict[str, str]:
        """The process can serve: its database and Redis both answer."""
        database, redis = await runtime.database_answers(), await runtime.redis_answers()
        if database and redis:
            return {"status": "ready", "database": "ok", "redis": "ok"}
        return problem_response(
            503,
            "Not ready",
            f"database {'ok' if database else 'not answering'}, redis {'ok' if redis else 'not answering'}",
        )

    return app
