"""An app on a real database (SQLite and PostgreSQL) and a real Redis, driven over ASGI, with a clock
the tests control; builders for contest and entry bodies."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from submissions.domain import FixedClock
from submissions.main import create_app
from submissions.settings import SubmissionsSettings

from ..conftest import CLOSES, DURING, OPENS

ORGANISER_TOKEN = "organiser-token-for-the-tests-0123456789"
ORGANISER = {"Authorization": f"Bearer {ORGANISER_TOKEN}"}
GRANT_KEY = "grant-key-for-the-submissions-api-tests-0123456789"


def contest_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Библиотечный калейдоскоп",
        "description": "Конкурс лучших практик",
        "organisers": [{"name": "Кузбасские библиотеки"}],
        "contact": "тел. 44-18-68",
        "nominations": [
            {"code": "service-guide", "title": "Сервис гид"},
            {"code": "idea-generator", "title": "Генератор идей"},
        ],
        "territories": [
            {"code": "belovo-city", "name": "Беловский городской округ", "kind": "city_district"},
            {
                "code": "chebulinsky-district",
                "name": "Чебулинский муниципальный район",
                "kind": "municipal_district",
            },
        ],
        "window": {"opens_at": OPENS.isoformat(), "closes_at": CLOSES.isoformat()},
        "rules": {
            "max_entries_per_author_per_nomination": 2,
            "attachments": {"allowed_media_types": ["application/pdf", "image/png"], "max_size_bytes": 1000},
        },
    }
    body.update(overrides)
    return body


def author(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "full_name": "Заводискер Оксана Юрьевна",
        "position": "ведущий библиотекарь",
        "library": "Центральная детская библиотека ЦБС г. Белово",
        "territory_code": "belovo-city",
        "email": "o.zavodisker@example.org",
        "phone": "+7 3842 44-18-68",
    }
    fields.update(overrides)
    return fields


def entry_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nomination_code": "service-guide",
        "title": "Рюкзачок знаний",
        "annotation": "Тематические рюкзаки с книгами для семейного чтения.",
        "authors": [author()],
        "links": ["https://example.org/backpack"],
        "consent_to_personal_data": True,
    }
    body.update(overrides)
    return body


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DURING)


@pytest.fixture
def settings(database_url: str, redis_url: str, namespace: str, tmp_path: Path) -> SubmissionsSettings:
    return SubmissionsSettings(
        database_url=database_url,
        redis_url=redis_url,
        bus_namespace=namespace,
        data_dir=str(tmp_path / "data"),
        environment="test",
        organiser_token=ORGANISER_TOKEN,  # type: ignore[arg-type]
        public_base_url="https://contest.example.org",
        grant_key=GRANT_KEY,  # type: ignore[arg-type]
        max_request_bytes=5000,
        log_level="WARNING",
    )


@pytest.fixture
async def app(settings: SubmissionsSettings, clock: FixedClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def create_published_contest(client: httpx.AsyncClient, **overrides: Any) -> str:
    created = await client.post("/contests", json=contest_body(**overrides), headers=ORGANISER)
    assert created.status_code == 201, created.text
    contest_id = str(created.json()["id"])
    published = await client.post(f"/contests/{contest_id}/publish", headers=ORGANISER)
    assert published.status_code == 200, published.text
    return contest_id


@pytest.fixture
async def contest_id(client: httpx.AsyncClient) -> str:
    return await create_published_contest(client)


async def submit(client: httpx.AsyncClient, contest_id: str | uuid.UUID, **overrides: Any) -> httpx.Response:
    return await client.post(f"/contests/{contest_id}/entries", json=entry_body(**overrides))


async def submitted(client: httpx.AsyncClient, contest_id: str, **overrides: Any) -> dict[str, Any]:
    response = await submit(client, contest_id, **overrides)
    assert response.status_code == 201, response.text
    return dict(response.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
