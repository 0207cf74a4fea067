"""Over HTTP: a participant chooses English for their letters (per author, or once for the whole entry)
and the choice reaches EntrySubmitted and EntryUpdated on the bus; librarians of the same full name
are different authors when their e-mails differ."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from kaleidoscope_shared.contracts import EntrySubmitted, EntryUpdated, Event
from kaleidoscope_shared.worker import build_relay

from .conftest import author, bearer, create_published_contest, submit, submitted


async def payloads(app: FastAPI, redis: Redis, namespace: str, event: type[Event]) -> list[dict[str, Any]]:
    relay = build_relay(app.state.submissions.runtime)
    while await relay.relay_once():
        pass
    messages: Any = await redis.xrange(event.stream(namespace))
    return [json.loads(fields[b"envelope"])["payload"] for _, fields in messages]


async def test_an_english_speaking_participant_is_accepted_and_emailed_in_english(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str
) -> None:
    english = author(full_name="Jane Smith", email="jane.smith@example.org", language="en")
    receipt = await submitted(client, contest_id, authors=[english, author()])
    assert [a["language"] for a in receipt["content"]["authors"]] == ["en", "ru"]
    [event] = await payloads(app, redis, namespace, EntrySubmitted)
    assert event["entry_id"] == receipt["id"]
    assert [a["language"] for a in event["authors"]] == ["en", "ru"]


async def test_the_language_given_for_the_whole_entry_is_that_of_each_author_who_chose_none(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str
) -> None:
    russian = author(full_name="Иванова Мария Петровна", email="m.ivanova@example.org", language="ru")
    receipt = await submitted(client, contest_id, language="EN-gb", authors=[author(), russian])
    assert [a["language"] for a in receipt["content"]["authors"]] == ["en", "ru"]
    [event] = await payloads(app, redis, namespace, EntrySubmitted)
    assert [a["language"] for a in event["authors"]] == ["en", "ru"]


async def test_a_language_not_offered_is_refused_naming_the_choices(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    for body in ({"language": "de"}, {"authors": [author(language="de")]}):
        refused = await submit(client, contest_id, **body)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "en" in refused.text and "ru" in refused.text


async def test_an_edit_switches_every_authors_letters_to_english(
    app: FastAPI, client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str
) -> None:
    receipt = await submitted(client, contest_id)
    edited = await client.patch(
        f"/entries/{receipt['id']}", json={"language": "en"}, headers=bearer(receipt["token"])
    )
    assert edited.status_code == 200, edited.text
    assert [a["language"] for a in edited.json()["content"]["authors"]] == ["en"]
    [event] = await payloads(app, redis, namespace, EntryUpdated)
    assert [a["language"] for a in event["authors"]] == ["en"]


async def test_namesakes_with_their_own_emails_each_enter_a_nomination_of_one_entry_per_author(
    client: httpx.AsyncClient,
) -> None:
    contest_id = await create_published_contest(
        client, rules={"max_entries_per_author_per_nomination": 1, "consent_required": True}
    )
    belovo = author()
    chebulinsky = author(
        email="zavodisker.oksana@cheb-library.example.org",
        library="Чебулинская межпоселенческая центральная библиотека",
        territory_code="chebulinsky-district",
    )
    assert (await submit(client, contest_id, authors=[belovo])).status_code == 201
    namesake = await submit(client, contest_id, authors=[chebulinsky])
    assert namesake.status_code == 201, namesake.text
    same_person = await submit(
        client, contest_id, title="Другая практика", authors=[author(email=" O.Zavodisker@Example.ORG")]
    )
    assert same_person.status_code == 409, same_person.text
    assert same_person.json()["title"] == "Too many entries by one author in this nomination"
