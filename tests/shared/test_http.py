"""What every service's HTTP API shares: problem details for bad input, health, readiness, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.http.problems import PROBLEM_JSON

from .probe import probe_runtime


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    count: int


def build_app(database_url: str, redis_url: str, namespace: str) -> FastAPI:
    runtime, _ = probe_runtime(database_url, redis_url, namespace)
    app = create_service_app("probe", runtime)

    @app.post("/things", status_code=201)
    async def create_thing(thing: Thing) -> Thing:
        return thing

    return app


@pytest.fixture
async def client(database_url: str, redis_url: str, namespace: str) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(database_url, redis_url, namespace)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"title": "x", "count": 1', "body"),
        (b'{"title": "x", "count": 1, "colour": "red"}', "colour"),
        (b'{"title": "x", "count": "many"}', "count"),
        (b'{"count": 1}', "title"),
    ],
    ids=["malformed-json", "unknown-field", "wrong-type", "missing-field"],
)
async def test_bad_input_is_a_422_problem_that_names_the_field(
    client: httpx.AsyncClient, body: bytes, field: str
) -> None:
    response = await client.post("/things", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] and problem["type"] == "about:blank"
    assert problem["instance"] == "/things"
    assert any(field in map(str, error["location"]) for error in problem["errors"]), problem


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["title"] == "Not Found"


async def test_health_and_readiness_answer_when_database_and_redis_do(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "redis": "ok"}


async def test_readiness_is_a_503_problem_when_redis_does_not_answer(
    database_url: str, namespace: str
) -> None:
    app = build_app(database_url, "redis://127.0.0.1:1/0", namespace)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "redis not answering" in response.json()["detail"]


async def test_a_correlation_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Correlation-ID": "abc-123"})
    assert given.headers["X-Correlation-ID"] == "abc-123"
    made = await client.get("/health")
    assert len(made.headers["X-Correlation-ID"]) == 36


async def test_metrics_expose_the_bus_counters(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics/")
    assert response.status_code == 200
    for name in (
        "kaleidoscope_events_published_total",
        "kaleidoscope_events_consumed_total",
        "kaleidoscope_handler_seconds",
        "kaleidoscope_pending_messages",
        "kaleidoscope_outbox_backlog",
        "kaleidoscope_dead_letters_total",
    ):
        assert f"# TYPE {name}" in response.text
