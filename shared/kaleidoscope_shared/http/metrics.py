"""Prometheus metrics of an API: each request counted and timed by route template, and `/metrics` itself.

`/metrics` answers at that exact path (and still under `/metrics/`), never with a redirect. Before each
scrape it asks the database and Redis whether they answer and sets `kaleidoscope_ready`, the figure the
"not ready" alert watches (the same check `/ready` makes).

Labels stay bounded: the route is the template the request matched (`/contests/{contest_id}`, never an
id), `unmatched` when none did; the method is one of HTTP's, `other` for anything else a client sends;
the status is the three digits answered (500 when the app raised before answering).

An API is one process (uvicorn without workers; more replicas for more load), so each process serves
its own registry and no multiprocess mode is needed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import make_asgi_app
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..observability.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS, READY
from ..runtime import ServiceRuntime

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
READINESS_TIMEOUT_S = 2.0


class HttpMetrics:
    """Counts and times every HTTP request. Sits inside any middleware that copies the scope (the router
    writes the matched route into the scope this middleware passes on)."""

    def __init__(self, app: ASGIApp, service: str, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self._service = service
        self._routes = routes
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path, root_path = scope["path"], scope.get("root_path", "")
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or self._template(path, root_path)
            requests, seconds = self._of(scope["method"], template, status)
            requests.inc()
            seconds.observe(time.perf_counter() - started)

    def _of(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        method = method if method in METHODS else "other"
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            labels = (self._service, method, route, str(status))
            series = self._series[key] = (
                HTTP_REQUESTS.labels(*labels),
                HTTP_REQUEST_SECONDS.labels(*labels),
            )
        return series

    def _template(self, path: str, root_path: str) -> str:
        """The template of a route the router did not name in the scope (a mount), or `unmatched`."""
        scope = {"type": "http", "path": path, "root_path": root_path, "method": "GET"}
        for route in self._routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return getattr(route, "path", UNMATCHED) or UNMATCHED
        return UNMATCHED


class MetricsMount(Mount):
    """`/metrics` as a mount that also answers its own path, so that `/metrics` needs no redirect.

    Only for a direct scrape: a request that came through the gateway or an Ingress (which add
    `X-Forwarded-For`) is a 404, so the public never reads the metrics, whatever the proxy in front
    forwards; Prometheus scrapes each pod or container at its own address."""

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=_direct_only(app))

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            path, root = scope["path"], scope.get("root_path", "")
            if path.removeprefix(root) == self.path or path == self.path:
                return Match.FULL, {"endpoint": self.app, "path_params": {}}
        return super().matches(scope)


def _direct_only(app: ASGIApp) -> ASGIApp:
    async def direct(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(name == b"x-forwarded-for" for name, _ in scope["headers"]):
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)

    return direct


def metrics_endpoint(runtime: ServiceRuntime) -> ASGIApp:
    """The exposition app: `kaleidoscope_ready` brought up to date, then the process's registry."""
    exposition = make_asgi_app()
    ready = READY.labels(runtime.settings.service_name)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            answers = await asyncio.gather(
                _within(runtime.database_answers()), _within(runtime.redis_answers())
            )
            ready.set(1 if all(answers) else 0)
        await exposition(scope, receive, send)

    return app


async def _within(check: Any) -> bool:
    try:
        return bool(await asyncio.wait_for(check, READINESS_TIMEOUT_S))
    except TimeoutError:
        return False
