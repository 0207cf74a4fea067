"""Input no stored object may hold is refused at the edge by notifications as by submissions, the same on
SQLite and PostgreSQL: control characters in any text, numbers that are not finite, paging past any
real page (an offset PostgreSQL cannot take as a bigint would otherwise be a 500)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from service_kit import settings_for

from notifications.main import create_app

ORGANISER = {"authorization": "Bearer organiser-dev-token"}
RECIPIENT = "/recipients/someone@example.org/preferences"
PREVIEW = "/templates/entry_received/ru/preview"


@pytest.fixture
async def client(
    database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings_for(database_url, redis_url, namespace, tmp_path))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://notifications", headers=ORGANISER
        ) as client,
    ):
        yield client


async def send_raw(
    client: httpx.AsyncClient, method: str, url: str, body: dict[str, Any], raw: str
) -> httpx.Response:
    """`body` as JSON text in which the value "PLACEHOLDER" is replaced by the raw JSON `raw`."""
    text = json.dumps(body).replace('"PLACEHOLDER"', raw)
    return await client.request(method, url, content=text, headers={"content-type": "application/json"})


@pytest.mark.parametrize("offset", [2**63, 2**64, 10**30])
async def test_paging_past_any_real_page_is_a_clear_refusal(client: httpx.AsyncClient, offset: int) -> None:
    for query in (f"offset={offset}", f"offset={offset}&recipient=someone"):
        response = await client.get(f"/deliveries?{query}")
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["location"] == ["query", "offset"]
    assert (await client.get("/deliveries?offset=1000000000")).json() == []


@pytest.mark.parametrize("raw", ['"Шаблон\\u0000"', '"\\u001b[31m"'], ids=["nul", "escape"])
async def test_a_control_character_in_a_body_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, raw: str
) -> None:
    preview = await send_raw(client, "POST", PREVIEW, {"subject": "PLACEHOLDER"}, raw)
    assert preview.status_code == 422, preview.text
    assert preview.json()["errors"][0]["location"] == ["body", "subject"]
    assert preview.json()["errors"][0]["type"] == "control_character"
    stored = await send_raw(
        client, "PUT", RECIPIENT, {"channels": ["file"], "addresses": {"file": "PLACEHOLDER"}}, raw
    )
    assert stored.status_code == 422, stored.text
    assert stored.json()["errors"][0]["location"] == ["body", "addresses", "file"]
    assert (await client.get(RECIPIENT)).json()["stored"] is False


@pytest.mark.parametrize("raw", ["1e999", "-Infinity", "1" + "0" * 400 + ".0"], ids=["1e999", "-inf", "long"])
async def test_a_number_that_is_not_finite_is_refused_beside_its_field(
    client: httpx.AsyncClient, raw: str
) -> None:
    response = await send_raw(client, "POST", PREVIEW, {"subject": "Тема", "text": "PLACEHOLDER"}, raw)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"location": ["body", "text"], "message": "the number must be finite", "type": "finite_number"}
    ]
