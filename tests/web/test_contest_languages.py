"""The public contest page and the participant's form against a fake submissions API: an English
visitor reads a nomination's English title and description where the organisers gave them (the Russian
ones where not); the form shows the contest's own consent text beside the consent box, or the site's
standard wording when the contest has none."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from web.adapters.api import ServiceApi, Services
from web.main import create_app
from web.settings import WebSettings

C = "7d7c1e7e-0000-4000-8000-000000000002"
CONSENT = "Авторы согласны на обработку персональных данных для проведения конкурса «Калейдоскоп»."


def a_contest(**rules: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": C,
        "title": "Библиотечный калейдоскоп",
        "description": "",
        "organisers": [],
        "contact": "",
        "nominations": [
            {
                "code": "service-guide",
                "title": "Путеводитель по услугам",
                "description": "Буклеты и карты",
                "title_en": "A guide to services",
                "description_en": "Booklets and maps",
            },
            {"code": "quest", "title": "Квест", "description": "Игры", "title_en": "", "description_en": ""},
        ],
        "territories": [
            {"code": "belovo-city", "name": "Беловский городской округ", "kind": "city_district"}
        ],
        "window": {
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=10)).isoformat(),
        },
        "rules": {
            "max_entries_per_author_per_nomination": 1,
            "attachments": {"allowed_media_types": ["application/pdf"], "max_size_bytes": 20971520},
            "consent_required": True,
            **rules,
        },
        "time_zone": "Asia/Novokuznetsk",
        "status": "published",
        "revision": 1,
    }


class Apis:
    def __init__(self) -> None:
        self.contest = a_contest(consent_text=CONSENT)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "submissions" and request.url.path == f"/contests/{C}":
            return httpx.Response(200, json=self.contest)
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


def nomination_cards(html: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", card).split())
        for card in re.findall(r'<div class="card">(.*?)</div>', html, re.S)
    ]


async def test_an_english_visitor_reads_the_english_titles_where_there_are_any(
    client: httpx.AsyncClient,
) -> None:
    english = await client.get(f"/contests/{C}", headers={"accept-language": "en"})
    assert english.status_code == 200
    assert nomination_cards(english.text) == ["A guide to services Booklets and maps", "Квест Игры"]
    russian = await client.get(f"/contests/{C}", headers={"accept-language": "ru"})
    assert nomination_cards(russian.text) == ["Путеводитель по услугам Буклеты и карты", "Квест Игры"]


async def test_the_form_offers_the_nominations_in_the_visitors_language(client: httpx.AsyncClient) -> None:
    english = await client.get(f"/contests/{C}/submit", headers={"accept-language": "en"})
    assert '<option value="service-guide">A guide to services</option>' in english.text
    assert '<option value="quest">Квест</option>' in english.text
    russian = await client.get(f"/contests/{C}/submit", headers={"accept-language": "ru"})
    assert '<option value="service-guide">Путеводитель по услугам</option>' in russian.text


async def test_the_contests_consent_text_is_shown_beside_the_consent_box(
    client: httpx.AsyncClient, apis: Apis
) -> None:
    page = await client.get(f"/contests/{C}/submit", headers={"accept-language": "en"})
    region = re.search(r'<div class="consent-text" id="consent-text"[^>]*>(.*?)</div>', page.text, re.S)
    assert region and region.group(1) == CONSENT
    assert 'aria-describedby="consent-text' in page.text

    apis.contest = a_contest()  # no text of its own: the site's standard wording
    page = await client.get(f"/contests/{C}/submit", headers={"accept-language": "en"})
    region = re.search(r'<div class="consent-text" id="consent-text"[^>]*>(.*?)</div>', page.text, re.S)
    assert region and region.group(1).startswith("The authors agree that the contest's organisers")
