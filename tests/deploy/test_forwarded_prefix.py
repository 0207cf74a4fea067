"""Behind the gateway an API is reached under its prefix, which the gateway strips and forwards in
X-Forwarded-Prefix: routes answer unprefixed, and the docs name the prefixed OpenAPI URL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from judging.main import create_app
from judging.settings import JudgingSettings


@pytest.fixture
async def client(tmp_path: Path, redis_url: str, namespace: str):  # type: ignore[no-untyped-def]
    app: FastAPI = create_app(
        JudgingSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/j.db", redis_url=redis_url, bus_namespace=namespace
        )
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://judging") as client,
    ):
        yield client


async def test_routes_answer_unprefixed_and_the_docs_point_under_the_prefix(
    client: httpx.AsyncClient,
) -> None:
    behind_gateway = {"X-Forwarded-Prefix": "/judging"}
    assert (await client.get("/health", headers=behind_gateway)).status_code == 200
    docs = await client.get("/docs", headers=behind_gateway)
    assert "/judging/openapi.json" in docs.text
    openapi = (await client.get("/openapi.json", headers=behind_gateway)).json()
    assert openapi["servers"] == [{"url": "/judging"}]


async def test_without_the_header_nothing_changes_and_a_malformed_prefix_is_ignored(
    client: httpx.AsyncClient,
) -> None:
    assert "'/openapi.json'" in (await client.get("/docs")).text
    hostile = await client.get("/docs", headers={"X-Forwarded-Prefix": "/x'><script>"})
    assert (
        hostile.status_code == 200 and "<script>'" not in hostile.text and "'/openapi.json'" in hostile.text
    )
