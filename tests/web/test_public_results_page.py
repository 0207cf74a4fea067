"""The public results page against fake APIs: each winner's prizes (a cash prize with its amount in the
visitor's number format, a sponsor's with its sponsor), the special mentions, and the audit log's head
hash of every closed stage, so anyone can check a copy of the log."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from web.adapters.api import ServiceApi, Services
from web.main import create_app
from web.settings import WebSettings

C = "7d7c1e7e-0000-4000-8000-000000000001"
CONTEST = {
    "id": C,
    "title": "Библиотечный калейдоскоп",
    "status": "results",
    "nominations": [{"code": "quest", "title": "Квест"}],
}
RESULTS = [
    {
        "id": "e0000000-0000-4000-8000-000000000001",
        "nomination": "Квест",
        "nomination_code": "quest",
        "title": "Тайны старой Анжерки",
        "authors": [{"full_name": "Мария Котова", "library": "ЦБС"}],
        "progress": "winner",
        "place": 1,
        "finalist": True,
        "prizes": [
            {"kind": "cash", "description": "Денежная премия", "amount": "15000.00", "currency": "RUB"},
            {"kind": "sponsor", "description": "Планшет (Книжный дом)", "amount": None, "currency": None},
        ],
        "special_mention": None,
    },
    {
        "id": "e0000000-0000-4000-8000-000000000002",
        "nomination": "Квест",
        "nomination_code": "quest",
        "title": "Книжный дозор",
        "authors": [{"full_name": "Олег Сидоров", "library": ""}],
        "progress": "advanced",
        "place": None,
        "finalist": True,
        "prizes": [],
        "special_mention": "За смелость замысла",
    },
]
HEADS = [
    {
        "stage_id": "s1",
        "stage_name": "Заочный тур",
        "closed_at": "2026-12-26T10:00:00Z",
        "audit_head_hash": "ab" * 32,
        "records": 40,
    },
    {
        "stage_id": "s2",
        "stage_name": "Финал",
        "closed_at": "2027-02-10T12:00:00Z",
        "audit_head_hash": "cd" * 32,
        "records": 77,
    },
]


class Apis:
    def __init__(self) -> None:
        self.heads: Any = HEADS
        self.calls: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        if request.url.host == "submissions" and path == f"/contests/{C}":
            return httpx.Response(200, json=CONTEST)
        if request.url.host == "submissions" and path == f"/contests/{C}/results":
            return httpx.Response(200, json=RESULTS)
        if request.url.host == "judging" and path == f"/contests/{C}/audit/heads":
            if isinstance(self.heads, httpx.Response):
                return self.heads
            return httpx.Response(200, json=self.heads)
        return httpx.Response(404, json={"title": "Not found", "status": 404})


@pytest.fixture
def apis() -> Apis:
    return Apis()


@pytest.fixture
async def client(apis: Apis) -> AsyncIterator[httpx.AsyncClient]:
    services = Services(
        *(
            ServiceApi(name, f"http://{name}", 5, transport=httpx.MockTransport(apis.handle))
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


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_the_results_show_prizes_mentions_and_every_closed_stages_audit_head(
    client: httpx.AsyncClient, apis: Apis
) -> None:
    page = await client.get(f"/contests/{C}/results", headers={"accept-language": "ru"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Денежная премия — 15\xa0000 RUB" in page.text  # the amount in Russian digits, not broken
    assert "Денежная премия — 15 000 RUB; Планшет (Книжный дом)" in text
    assert "«Книжный дозор»: За смелость замысла" in text
    assert "Заочный тур" in text and "ab" * 32 in text and "40" in text
    assert "Финал" in text and "cd" * 32 in text
    assert not [c for c in apis.calls if "authorization" in c.headers]


async def test_the_results_in_english_number_their_amounts_in_english(client: httpx.AsyncClient) -> None:
    page = await client.get(f"/contests/{C}/results", headers={"accept-language": "en"})
    assert "Денежная премия — 15,000 RUB" in text_of(page.text)
    assert "Check the judging record" in page.text


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(404, json={"title": "Not found", "status": 404}), httpx.Response(503), []],
)
async def test_without_heads_from_judging_the_results_still_show(
    client: httpx.AsyncClient, apis: Apis, answer: Any
) -> None:
    apis.heads = answer
    page = await client.get(f"/contests/{C}/results", headers={"accept-language": "en"})
    assert page.status_code == 200 and "Тайны старой Анжерки" in page.text
    assert "Check the judging record" not in page.text
