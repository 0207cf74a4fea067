"""What every service's HTTP API has in common: lifespan, health, readiness, metrics, problem details."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import make_asgi_app

from ..runtime import ServiceRuntime
from .correlation import CorrelationId
from .forwarded import ForwardedPrefix
from .problems import install_problem_handlers, problem_response


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

    app.add_middleware(CorrelationId)

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
