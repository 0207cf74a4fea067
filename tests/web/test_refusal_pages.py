"""A throttled visitor and an API whose database is down get a page in their language that says how long
to wait, with `Retry-After` (fake APIs: httpx.MockTransport)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from web.adapters.api import ServiceApi, Services
from web.main import create_app
from web.settings import WebSettings

CONTEST = str(uuid.uuid4())


def answering(status: int, retry_after: str) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            json={
                "type": "about:blank",
                "title": "Too Many Requests",
                "status": status,
                "detail": "in English",
            },
            headers={"content-type": "application/problem+json", "retry-after": retry_after},
        )

    return handle


@pytest.fixture
def status() -> tuple[int, str]:
    return (429, "120")


@pytest.fixture
async def client(status: tuple[int, str]) -> AsyncIterator[httpx.AsyncClient]:
    api = httpx.MockTransport(answering(*status))
    services = Services(
        submissions=ServiceApi("submissions", "http://submissions", 5, transport=api),
        judging=ServiceApi("judging", "http://judging", 5, transport=api),
        notifications=ServiceApi("notifications", "http://notifications", 5, transport=api),
    )
    app = create_app(WebSettings(), services=services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web") as http:
        yield http


@pytest.mark.parametrize(
    ("language", "words"),
    [("ru", "Подождите 2 минуты"), ("en", "Please wait 2 minutes")],
)
async def test_a_throttled_visitor_is_told_how_long_to_wait_in_their_language(
    client: httpx.AsyncClient, language: str, words: str
) -> None:
    client.cookies.set("lang", language)
    page = await client.get(f"/entries/{uuid.uuid4()}?token=guess")
    assert page.status_code == 429, page.text[:300]
    assert page.headers["retry-after"] == "120"
    assert words in page.text
    assert "in English" not in page.text


@pytest.mark.parametrize("status", [(503, "5")])
async def test_an_api_without_its_database_is_the_try_again_page(client: httpx.AsyncClient) -> None:
    client.cookies.set("lang", "ru")
    page = await client.get(f"/contests/{CONTEST}")
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert "Ничего из отправленного не потеряно" in page.text
