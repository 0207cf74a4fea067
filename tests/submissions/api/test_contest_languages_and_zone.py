"""A contest's English nomination titles and descriptions, its consent text and its time zone: taken
by POST and PATCH /contests, shown by GET (to anyone once published), carried by ContestAnnounced and
ContestAmended; an unknown time zone or a text too long is a 422 at its field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from kaleidoscope_shared.contracts import ContestAmended, ContestAnnounced
from submissions.domain import FixedClock
from submissions.main import create_app
from submissions.settings import SubmissionsSettings

from ..conftest import DURING
from .conftest import ORGANISER, contest_body
from .test_events_through_the_outbox import read_stream, relay_everything

CONSENT = "Я согласен(на) на обработку персональных данных авторов в целях проведения конкурса."
NOMINATIONS = [
    {
        "code": "service-guide",
        "title": "Сервис гид",
        "description": "Лучший путеводитель по услугам библиотеки",
        "title_en": "Service guide",
        "description_en": "The best guide to a library's services",
    },
    {"code": "idea-generator", "title": "Генератор идей"},
]


def bilingual_body(**overrides: Any) -> dict[str, Any]:
    rules = contest_body()["rules"] | {"consent_required": True, "consent_text": CONSENT}
    return contest_body(nominations=NOMINATIONS, rules=rules, time_zone="Europe/Moscow", **overrides)


async def test_english_titles_the_consent_text_and_the_zone_are_stored_and_shown_to_anyone(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/contests", json=bilingual_body(), headers=ORGANISER)
    assert created.status_code == 201, created.text
    contest = created.json()
    assert contest["time_zone"] == "Europe/Moscow"
    assert contest["rules"]["consent_text"] == CONSENT
    first, second = contest["nominations"]
    assert (first["title_en"], first["description_en"]) == (
        "Service guide",
        "The best guide to a library's services",
    )
    assert (second["title_en"], second["description_en"]) == ("", "")  # none given: empty
    await client.post(f"/contests/{contest['id']}/publish", headers=ORGANISER)
    public = (await client.get(f"/contests/{contest['id']}")).json()  # no organiser token
    assert public["time_zone"] == "Europe/Moscow"
    assert public["nominations"][0]["title_en"] == "Service guide"
    assert public["rules"]["consent_text"] == CONSENT
    listed = (await client.get("/contests")).json()
    assert [c["time_zone"] for c in listed] == ["Europe/Moscow"]


async def test_a_contest_created_without_a_zone_gets_the_default(client: httpx.AsyncClient) -> None:
    created = await client.post("/contests", json=contest_body(), headers=ORGANISER)
    assert created.status_code == 201, created.text
    assert created.json()["time_zone"] == "Asia/Novokuznetsk"
    assert created.json()["rules"]["consent_text"] == ""


async def test_the_default_zone_is_the_services_setting(settings: SubmissionsSettings) -> None:
    moscow = settings.model_copy(update={"default_time_zone": "Europe/Moscow"})
    application = create_app(moscow, clock=FixedClock(DURING))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            created = await http.post("/contests", json=contest_body(), headers=ORGANISER)
    assert created.status_code == 201, created.text
    assert created.json()["time_zone"] == "Europe/Moscow"


def test_an_unknown_default_zone_stops_the_service_at_start() -> None:
    with pytest.raises(ValueError, match="not a time zone name"):
        SubmissionsSettings(default_time_zone="Asia/Kemerovo")


@pytest.mark.parametrize(
    ("overrides", "location"),
    [
        ({"time_zone": "Asia/Kemerovo"}, ["body", "time_zone"]),
        ({"time_zone": "+07:00"}, ["body", "time_zone"]),
        ({"time_zone": "A" * 65}, ["body", "time_zone"]),
        (
            {"nominations": [{"code": "a", "title": "А", "title_en": "x" * 501}]},
            ["body", "nominations", 0, "title_en"],
        ),
        (
            {"nominations": [{"code": "a", "title": "А", "description_en": "x" * 5001}]},
            ["body", "nominations", 0, "description_en"],
        ),
        ({"rules": {"consent_text": "x" * 5001}}, ["body", "rules", "consent_text"]),
    ],
    ids=["unknown-zone", "offset-not-zone", "zone-too-long", "title-en-too-long", "description-en-too-long",
         "consent-too-long"],
)  # fmt: skip
async def test_an_unknown_zone_or_a_text_too_long_is_refused_at_its_field(
    client: httpx.AsyncClient, overrides: dict[str, Any], location: list[Any]
) -> None:
    created = await client.post("/contests", json=contest_body(**overrides), headers=ORGANISER)
    assert created.status_code == 422, created.text
    assert created.headers["content-type"] == "application/problem+json"
    assert [e["location"] for e in created.json()["errors"]] == [location]

    draft = (await client.post("/contests", json=contest_body(), headers=ORGANISER)).json()
    changed = await client.patch(f"/contests/{draft['id']}", json=overrides, headers=ORGANISER)
    assert changed.status_code == 422, changed.text
    assert [e["location"] for e in changed.json()["errors"]] == [location]
    kept = (await client.get(f"/contests/{draft['id']}", headers=ORGANISER)).json()
    assert kept["time_zone"] == "Asia/Novokuznetsk" and kept["rules"]["consent_text"] == ""


async def test_the_unknown_zones_message_says_what_to_give(client: httpx.AsyncClient) -> None:
    created = await client.post("/contests", json=contest_body(time_zone="Asia/Kemerovo"), headers=ORGANISER)
    assert "Asia/Novokuznetsk" in created.json()["errors"][0]["message"]


async def test_patch_changes_them_and_contest_amended_names_what_changed(
    app: FastAPI, client: httpx.AsyncClient, redis: Redis, namespace: str
) -> None:
    created = (await client.post("/contests", json=bilingual_body(), headers=ORGANISER)).json()
    contest_id = created["id"]
    await client.post(f"/contests/{contest_id}/publish", headers=ORGANISER)

    zone = await client.patch(f"/contests/{contest_id}", json={"time_zone": "Asia/Omsk"}, headers=ORGANISER)
    assert zone.status_code == 200, zone.text
    assert zone.json()["time_zone"] == "Asia/Omsk" and zone.json()["revision"] == 2
    assert zone.json()["rules"]["consent_text"] == CONSENT  # untouched
    consent = await client.patch(
        f"/contests/{contest_id}", json={"rules": {"consent_text": "Согласен."}}, headers=ORGANISER
    )
    assert consent.json()["rules"]["consent_text"] == "Согласен."
    assert consent.json()["rules"]["max_entries_per_author_per_nomination"] == 2  # merged
    renamed = [NOMINATIONS[0] | {"title_en": "A guide to services"}, NOMINATIONS[1]]
    titles = await client.patch(f"/contests/{contest_id}", json={"nominations": renamed}, headers=ORGANISER)
    assert titles.json()["nominations"][0]["title_en"] == "A guide to services"
    assert titles.json()["revision"] == 4

    await relay_everything(app)
    announced = [e["payload"] for e in await read_stream(redis, namespace, ContestAnnounced)]
    assert announced[0]["time_zone"] == "Europe/Moscow"
    assert announced[0]["nominations"][0]["title_en"] == "Service guide"
    assert announced[0]["nominations"][0]["description_en"] == "The best guide to a library's services"
    amended = [e["payload"] for e in await read_stream(redis, namespace, ContestAmended)]
    assert [a["changed"] for a in amended] == [["time_zone"], ["rules"], ["nominations"]]
    assert [a["time_zone"] for a in amended] == ["Asia/Omsk"] * 3
    assert amended[2]["nominations"][0]["title_en"] == "A guide to services"
