"""The console's pages against fake APIs: the web app with one httpx.MockTransport handler answering
for the three services, a browser-like client on it, and the CSRF token of a page's form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import httpx
from starlette.routing import BaseRoute, Mount, Route

from web.adapters.api import ServiceApi, Services
from web.main import create_app
from web.settings import WebSettings

Handler = Callable[[httpx.Request], httpx.Response]


@asynccontextmanager
async def web_client(
    handle: Handler,
    language: str = "en",
    settings: WebSettings | None = None,
    raise_app_exceptions: bool = True,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the web app whose three services all answer through `handle` (with `settings`, else a
    test site's; `raise_app_exceptions=False` to see the 500 page a visitor would)."""
    services = Services(
        *(
            ServiceApi(name, f"http://{name}", 5, transport=httpx.MockTransport(handle))
            for name in ("submissions", "judging", "notifications")
        )
    )
    app = create_app(settings or WebSettings(environment="test", log_format="console"), services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions),
        base_url="http://testserver",
        headers={"accept-language": language},
    ) as browser:
        yield browser
    await app.state.hall_feeds.close()
    await services.close()


def csrf_of(page: str) -> str:
    """The CSRF token of the page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def flatten(routes: list[BaseRoute]) -> Iterator[Route]:
    """Every route, those of included routers too (this FastAPI keeps them in the router they came from)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from flatten(list(route.original_router.routes))
        elif isinstance(route, Mount):
            yield from flatten(list(route.routes))
        elif isinstance(route, Route):
            yield route
