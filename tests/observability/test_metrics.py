"""Each metric family moves when its thing happens, with bounded labels: a request (by route template and
status), an event published, consumed and applied, retried and dead-lettered (by type and group), lag
and pending, the outbox's backlog and oldest row, the relay's publish latency, readiness; and `/metrics`
answers at its own path without a redirect. Real Redis, SQLite and PostgreSQL throughout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from kaleidoscope_shared.bus.consumer import StreamConsumer
from kaleidoscope_shared.contracts import EntrySubmitted
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.worker import build_consumer, build_relay

from ..shared.probe import POISON, applications, entry, probe_handlers, probe_runtime

FAST = {"reclaim_idle_ms": 200, "reclaim_interval_s": 0.1, "max_deliveries": 3, "consumer_block_ms": 100}
TYPE = EntrySubmitted.event_type


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- HTTP ------------------------------------------------------------------------------------------


@pytest.fixture
async def client(database_url: str, redis_url: str, namespace: str) -> AsyncIterator[httpx.AsyncClient]:
    runtime, _ = probe_runtime(database_url, redis_url, namespace)
    app: FastAPI = create_service_app("probe", runtime)

    @app.post("/things/{thing_id}", status_code=201)
    async def create_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @app.get("/things/{thing_id}/broken")
    async def broken(thing_id: int) -> None:
        raise RuntimeError("a bug")

    @app.get("/things/{thing_id}/gone")
    async def gone(thing_id: int) -> None:
        raise HTTPException(410)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


def requests(method: str, route: str, status: str) -> float:
    return value(
        "kaleidoscope_http_requests_total", service="probe", method=method, route=route, status=status
    )


def timed(method: str, route: str, status: str) -> float:
    return value(
        "kaleidoscope_http_request_duration_seconds_count",
        service="probe",
        method=method,
        route=route,
        status=status,
    )


async def test_a_request_is_counted_and_timed_by_its_route_template_and_status(
    client: httpx.AsyncClient,
) -> None:
    route = "/things/{thing_id}"
    before = requests("POST", route, "201"), timed("POST", route, "201")
    for thing in (1, 2, 3):
        assert (await client.post(f"/things/{thing}")).status_code == 201
    assert (requests("POST", route, "201"), timed("POST", route, "201")) == (before[0] + 3, before[1] + 3)
    assert value("kaleidoscope_http_requests_total", service="probe", method="POST", route="/things/1") == 0


async def test_errors_unknown_paths_and_methods_keep_to_a_bounded_set_of_labels(
    client: httpx.AsyncClient,
) -> None:
    broken, gone = "/things/{thing_id}/broken", "/things/{thing_id}/gone"
    before = {
        "500": requests("GET", broken, "500"),
        "410": requests("GET", gone, "410"),
        "404": requests("GET", "unmatched", "404"),
        "405": requests("other", "/things/{thing_id}", "405"),
    }
    assert (await client.get("/things/7/broken")).status_code == 500
    assert (await client.get("/things/7/gone")).status_code == 410
    assert (await client.get(f"/nowhere/{__name__}")).status_code == 404
    assert (await client.request("BREW", "/things/7")).status_code == 405
    assert requests("GET", broken, "500") == before["500"] + 1
    assert requests("GET", gone, "410") == before["410"] + 1
    assert requests("GET", "unmatched", "404") == before["404"] + 1
    assert requests("other", "/things/{thing_id}", "405") == before["405"] + 1


async def test_metrics_answer_at_their_own_path_without_a_redirect_and_say_the_api_is_ready(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.headers
    assert response.headers["content-type"].startswith("text/plain")
    assert 'kaleidoscope_ready{service="probe"} 1.0' in response.text
    assert "# TYPE kaleidoscope_http_request_duration_seconds histogram" in response.text
    assert (await client.get("/metrics/")).status_code == 200
    behind = await client.get("/metrics", headers={"X-Forwarded-Prefix": "/probe"})
    assert behind.status_code == 200 and "kaleidoscope_ready" in behind.text
    assert requests("GET", "/metrics", "200") >= 3


async def test_metrics_that_came_through_a_proxy_are_not_found(client: httpx.AsyncClient) -> None:
    # the gateway and an Ingress add X-Forwarded-For: the public never reads the metrics through them
    for path in ("/metrics", "/metrics/"):
        proxied = await client.get(path, headers={"X-Forwarded-For": "203.0.113.7"})
        assert (proxied.status_code, proxied.content) == (404, b"")


async def test_readiness_falls_to_zero_when_redis_does_not_answer(database_url: str, namespace: str) -> None:
    runtime, _ = probe_runtime(database_url, "redis://127.0.0.1:1/0", namespace)
    app = create_service_app("probe", runtime)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert 'kaleidoscope_ready{service="probe"} 0.0' in response.text


# --- the bus ---------------------------------------------------------------------------------------


@pytest.fixture
async def runtime(database_url: str, redis_url: str, namespace: str) -> AsyncIterator[ServiceRuntime]:
    runtime, _ = probe_runtime(database_url, redis_url, namespace, **FAST)
    await runtime.open()
    yield runtime
    await runtime.close()


async def stage(runtime: ServiceRuntime, *titles: str) -> None:
    async with runtime.sessions() as session, session.begin():
        for title in titles:
            await runtime.outbox.add(session, entry(title))


async def run_until(
    consumer: StreamConsumer, done: Callable[[], Awaitable[bool]], timeout: float = 20
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        async with asyncio.timeout(timeout):
            while not await done():
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task


async def test_published_events_and_the_relay_s_publish_latency_are_counted_by_type(
    runtime: ServiceRuntime,
) -> None:
    published = value("kaleidoscope_events_published_total", producer="probe", type=TYPE)
    batches = value("kaleidoscope_relay_publish_seconds_count", producer="probe")
    await stage(runtime, "one", "two")
    assert await build_relay(runtime).relay_once() == 2
    assert value("kaleidoscope_events_published_total", producer="probe", type=TYPE) == published + 2
    assert value("kaleidoscope_relay_publish_seconds_count", producer="probe") == batches + 1
    by_stream = [
        name
        for name, collector in REGISTRY._names_to_collectors.items()
        if "stream" in getattr(collector, "_labelnames", ())
    ]
    assert not by_stream  # no label carries the namespaced stream: a namespace per test, no new series


async def test_the_outbox_backlog_and_the_age_of_its_oldest_unsent_row(runtime: ServiceRuntime) -> None:
    relay = build_relay(runtime)
    await stage(runtime, "one", "two", "three")
    await asyncio.sleep(0.3)
    await relay.measure()
    assert value("kaleidoscope_outbox_backlog", producer="probe") == 3
    assert value("kaleidoscope_outbox_oldest_unsent_age_seconds", producer="probe") >= 0.3
    while await relay.relay_once():
        pass
    await relay.measure()
    assert value("kaleidoscope_outbox_backlog", producer="probe") == 0
    assert value("kaleidoscope_outbox_oldest_unsent_age_seconds", producer="probe") == 0


async def test_applied_events_lag_and_pending_are_measured_per_group_and_type(
    runtime: ServiceRuntime, redis: Redis, database_url: str, redis_url: str, namespace: str
) -> None:
    _, applied = probe_runtime(database_url, redis_url, namespace)
    consumer = build_consumer(runtime, probe_handlers(applied))
    stream = EntrySubmitted.stream(namespace)
    await consumer.ensure_groups()
    await stage(runtime, "a", "b", "c")
    assert await build_relay(runtime).relay_once() == 3
    await consumer.measure()
    assert value("kaleidoscope_consumer_lag_messages", group="probe", type=TYPE) == 3
    assert value("kaleidoscope_pending_messages", group="probe", type=TYPE) == 0

    # another consumer of the group reads two and dies: they are pending, no longer lagging
    await redis.xreadgroup("probe", "gone", {stream: ">"}, count=2)
    await consumer.measure()
    assert value("kaleidoscope_consumer_lag_messages", group="probe", type=TYPE) == 1
    assert value("kaleidoscope_pending_messages", group="probe", type=TYPE) == 2

    applied_before = value("kaleidoscope_events_consumed_total", group="probe", type=TYPE, outcome="applied")
    retried_before = value("kaleidoscope_events_retried_total", group="probe", type=TYPE)

    async def all_applied() -> bool:
        return len(await applications(runtime, applied)) == 3

    await run_until(consumer, all_applied)
    await consumer.measure()
    assert value("kaleidoscope_events_consumed_total", group="probe", type=TYPE, outcome="applied") == (
        applied_before + 3
    )
    assert value("kaleidoscope_events_retried_total", group="probe", type=TYPE) == retried_before + 2
    assert value("kaleidoscope_consumer_lag_messages", group="probe", type=TYPE) == 0
    assert value("kaleidoscope_pending_messages", group="probe", type=TYPE) == 0


async def test_a_dead_letter_is_counted_by_group_type_and_reason_and_its_retries_before(
    runtime: ServiceRuntime, redis: Redis, database_url: str, redis_url: str, namespace: str
) -> None:
    _, applied = probe_runtime(database_url, redis_url, namespace)
    consumer = build_consumer(runtime, probe_handlers(applied))
    # every series of the group exists from the start, at zero: the alert sees the first dead letter
    for reason in ("max-deliveries", "max-crashes", "malformed", "unknown-event"):
        labels = {"group": "probe", "type": TYPE, "reason": reason}
        assert REGISTRY.get_sample_value("kaleidoscope_dead_letters_total", labels) is not None, reason
    dead = value("kaleidoscope_dead_letters_total", group="probe", type=TYPE, reason="max-deliveries")
    malformed = value("kaleidoscope_dead_letters_total", group="probe", type=TYPE, reason="malformed")
    failed = value("kaleidoscope_events_consumed_total", group="probe", type=TYPE, outcome="failed")
    retried = value("kaleidoscope_events_retried_total", group="probe", type=TYPE)
    await stage(runtime, f"{POISON} pill")
    await build_relay(runtime).relay_once()
    await consumer.ensure_groups()
    await redis.xadd(EntrySubmitted.stream(namespace), {"envelope": b"{not json"})

    async def both_dead() -> bool:
        return int(await redis.xlen(consumer.dead_letters)) == 2

    await run_until(consumer, both_dead)
    assert (
        value("kaleidoscope_dead_letters_total", group="probe", type=TYPE, reason="max-deliveries")
        == dead + 1
    )
    assert (
        value("kaleidoscope_dead_letters_total", group="probe", type=TYPE, reason="malformed")
        == malformed + 1
    )
    assert (
        value("kaleidoscope_events_consumed_total", group="probe", type=TYPE, outcome="failed") == failed + 3
    )
    assert value("kaleidoscope_events_retried_total", group="probe", type=TYPE) >= retried + 2


async def test_a_worker_s_relay_reports_it_ready_while_it_reaches_redis_and_the_database(
    runtime: ServiceRuntime,
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(build_relay(runtime).run(stop))
    try:
        async with asyncio.timeout(10):
            while value("kaleidoscope_ready", service="probe") != 1:
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task
