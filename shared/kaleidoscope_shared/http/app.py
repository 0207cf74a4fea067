"""What every service's HTTP API has in common: lifespan, health, readiness, metrics, problem details,
and docs pages that work offline and know the bearer scheme."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import make_asgi_app

from ..runtime import ServiceRuntime
from .correlation import CorrelationId
from .docs import install_docs
from .forwarded import ForwardedPrefix
from .problems import install_problem_handlers, problem_response


def create_service_app(title: str, runtime: ServiceRuntime, **fastapi_kwargs: Any) -> FastAPI:
    """A FastAPI app whose lifespan opens and closes `runtime` (kept on `app.state.runtime`).

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
