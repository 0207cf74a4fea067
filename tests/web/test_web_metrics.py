"""The web front's /metrics, as every API's: pages counted and timed by route template (never an id),
hall screens being served, and no redirect."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY

from web.adapters.api import ServiceApi, Services
from web.entrypoints.hall import HallFeeds
from web.main import create_app
from web.settings import WebSettings


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"title": "Not found", "status": 404})

    services = Services(
        *(
            ServiceApi(name, f"http://{name}", 5, transport=httpx.MockTransport(handle))
            for name in ("submissions", "judging", "notifications")
        )
    )
    app = create_app(WebSettings(environment="test", log_format="console"), services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        yield browser
    await app.state.hall_feeds.close()
    await services.close()


async def test_pages_are_counted_by_route_template_and_status_at_metrics_without_a_redirect(
    client: httpx.AsyncClient,
) -> None:
    labels = {"service": "web", "method": "GET", "route": "/contests/{contest_id}", "status": "404"}
    before = value("kaleidoscope_http_requests_total", **labels)
    for _ in range(3):
        assert (await client.get(f"/contests/{uuid.uuid4()}")).status_code == 404
    assert value("kaleidoscope_http_requests_total", **labels) == before + 3

    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert 'route="/contests/{contest_id}"' in metrics.text
    assert "kaleidoscope_hall_viewers" in metrics.text
    # the gateway forwards every path to the web front: through it, the metrics are not found
    assert (await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})).status_code == 404


async def test_hall_viewers_count_the_screens_being_served() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    api = ServiceApi("judging", "http://judging", 5, transport=httpx.MockTransport(handle))
    feeds = HallFeeds(api, linger_s=0.05, backoff_s=0.05)
    before = value("kaleidoscope_hall_viewers")
    try:
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(4):
                await stack.enter_async_context(feeds.watch(str(uuid.uuid4()), str(uuid.uuid4())))
            assert value("kaleidoscope_hall_viewers") == before + 4
        assert value("kaleidoscope_hall_viewers") == before
    finally:
        await feeds.close()
        await api.close()
