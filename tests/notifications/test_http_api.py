"""The notifications API: delivery log and resend, preferences, template previews, document checks,
and which role may call which route."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from service_kit import (
    ZAVODISKER,
    consumer_for,
    contest_announced,
    contest_finished,
    deliver,
    entry_submitted,
    settings_for,
    wrap,
)
from starlette.routing import BaseRoute

from kaleidoscope_shared.grants import ENTRY_DOCUMENTS, ENTRY_FILE, issue_grant
from notifications.bootstrap import Notifications
from notifications.channels import Channel, ChannelError, DeliveryReceipt, OutgoingMessage
from notifications.main import create_app
from notifications.settings import NotificationsSettings

ORGANISER = {"authorization": "Bearer organiser-dev-token"}


@pytest.fixture
async def app(database_url: str, redis_url: str, namespace: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(settings_for(database_url, redis_url, namespace, tmp_path))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=ORGANISER) as client:
        yield client


def service_of(app: FastAPI) -> Notifications:
    return app.state.notifications  # type: ignore[no-any-return]


async def finished_contest(app: FastAPI, namespace: str) -> uuid.UUID:
    return (await finished_entry(app, namespace))[0]


async def finished_entry(app: FastAPI, namespace: str) -> tuple[uuid.UUID, uuid.UUID]:
    contest, entry = uuid.uuid4(), uuid.uuid4()
    events = [contest_announced(contest), entry_submitted(contest, entry, authors=[ZAVODISKER])]
    events.append(contest_finished(contest, [entry], []))  # type: ignore[arg-type]
    await deliver(consumer_for(service_of(app)), namespace, *[wrap(e) for e in events])
    return contest, entry


def documents_grant(app: FastAPI, entry_id: uuid.UUID, ttl_s: float = 600, **kwargs: float) -> str:
    """What submissions hands the entry's participant once results are out."""
    key = service_of(app).settings.grant_key.get_secret_value()
    return issue_grant(key, ENTRY_DOCUMENTS, str(entry_id), ttl_s, **kwargs)


class Refusing(Channel):
    name = "file"

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        raise ChannelError("mailbox unavailable", permanent=True)


# --- deliveries ----------------------------------------------------------------------------------


async def test_the_log_shows_who_has_not_been_told_yet_and_a_resend_sends_again(
    app: FastAPI, client: httpx.AsyncClient, namespace: str
) -> None:
    contest = await finished_contest(app, namespace)
    await service_of(app).dispatcher({"file": Refusing()}).dispatch_once()
    untold = await client.get(
        "/deliveries", params={"contest_id": str(contest), "status": ["pending", "failed", "dead"]}
    )
    assert untold.status_code == 200
    assert {(d["recipient"], d["status"]) for d in untold.json()} >= {(str(ZAVODISKER.email), "dead")}
    only_sent = await client.get("/deliveries", params={"contest_id": str(contest), "status": "sent"})
    assert only_sent.json() == []
    mine = await client.get(
        "/deliveries", params={"recipient": "ZAVODISKER@belovo-lib.example", "channel": "file"}
    )
    assert len(mine.json()) == 2 and all(d["last_error"] == "mailbox unavailable" for d in mine.json())
    target = mine.json()[0]["id"]
    resent = await client.post(f"/deliveries/{target}/resend")
    assert (
        resent.status_code == 202 and resent.json()["status"] == "pending" and resent.json()["attempts"] == 0
    )
    detail = await client.get(f"/deliveries/{target}")
    assert detail.json()["text"]
    assert detail.json()["last_attempt_at"] is not None
    [attempt] = detail.json()["attempt_history"]
    assert (attempt["number"], attempt["outcome"], attempt["error"]) == (1, "dead", "mailbox unavailable")
    assert attempt["started_at"] <= attempt["finished_at"]


async def test_an_unknown_delivery_is_a_problem_report(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/deliveries/{uuid.uuid4()}/resend")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


# --- preferences ---------------------------------------------------------------------------------


async def test_preferences_are_stored_per_recipient(client: httpx.AsyncClient) -> None:
    before = await client.get("/recipients/Someone@Example.org/preferences")
    assert before.json() == {
        "recipient": "someone@example.org",
        "stored": False,
        "channels": ["file"],
        "language": None,
        "addresses": {},
    }
    body = {"channels": ["email", "console"], "language": "en", "addresses": {"console": "desk"}}
    assert (await client.put("/recipients/someone@example.org/preferences", json=body)).status_code == 200
    after = await client.get("/recipients/someone@example.org/preferences")
    assert after.json() == {"recipient": "someone@example.org", "stored": True, **body}


async def test_an_uninstalled_channel_or_a_private_webhook_is_refused(client: httpx.AsyncClient) -> None:
    unknown = await client.put("/recipients/a@example.org/preferences", json={"channels": ["carrier-pigeon"]})
    assert unknown.status_code == 422 and "carrier-pigeon" in unknown.json()["detail"]
    private = await client.put(
        "/recipients/a@example.org/preferences",
        json={"channels": ["webhook"], "addresses": {"webhook": "https://127.0.0.1/hook"}},
    )
    assert private.status_code == 422 and "non-public" in private.json()["detail"]


# --- templates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "expected"), [("ru", "Уважаемая Оксана Юрьевна"), ("en", "Dear")])
async def test_a_template_preview_renders_the_sample_in_each_language(
    client: httpx.AsyncClient, language: str, expected: str
) -> None:
    response = await client.get(f"/templates/final_invitation/{language}/preview")
    assert response.status_code == 200
    assert expected in response.json()["text"]


async def test_a_draft_template_is_previewed_and_its_errors_are_problem_details(
    client: httpx.AsyncClient,
) -> None:
    good = await client.post(
        "/templates/entry_received/ru/preview", json={"subject": "Принято: {{ entry.title }}"}
    )
    assert good.json()["subject"] == "Принято: Рюкзачок знаний"
    broken = await client.post(
        "/templates/entry_received/ru/preview", json={"text": "{{ entry.titel }}\n{% if %}"}
    )
    assert broken.status_code == 422
    assert broken.headers["content-type"] == "application/problem+json"
    assert broken.json()["problems"][0]["part"] == "text"
    undefined = await client.post("/templates/entry_received/en/preview", json={"text": "{{ entry.titel }}"})
    assert undefined.status_code == 422 and "titel" in undefined.json()["detail"]
    assert (await client.get("/templates/no_such_kind/ru/preview")).status_code == 404


# --- documents -----------------------------------------------------------------------------------


async def test_a_documents_code_is_confirmed_publicly_and_a_wrong_code_is_not(
    app: FastAPI, client: httpx.AsyncClient, namespace: str
) -> None:
    contest = await finished_contest(app, namespace)
    listed = (await client.get("/documents", params={"contest_id": str(contest)})).json()
    assert sorted(d["kind"] for d in listed) == ["participant_diploma", "thank_you_letter"]
    code = listed[0]["code"]
    typed = "-".join(code[i : i + 4] for i in range(0, 16, 4)).lower()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as anonymous:
        confirmed = await anonymous.get(f"/documents/verify/{typed}")
        forged = await anonymous.get(f"/documents/verify/{code[:-1]}{'A' if code[-1] != 'A' else 'B'}")
    assert confirmed.status_code == 200
    assert confirmed.json()["genuine"] is True and confirmed.json()["recipient_name"] == ZAVODISKER.full_name
    assert forged.status_code == 404
    pdf = await client.get(f"/documents/{listed[0]['document_id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_a_participant_with_the_grant_lists_their_entrys_documents_and_opens_each_pdf(
    app: FastAPI, namespace: str
) -> None:
    _, entry = await finished_entry(app, namespace)
    grant = documents_grant(app, entry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as web:
        listed = await web.get(f"/entries/{entry}/documents", params={"grant": grant})
        assert listed.status_code == 200, listed.text
        documents = listed.json()
        assert [(d["kind"], d["title"], d["recipient_name"]) for d in documents] == [
            ("thank_you_letter", "Благодарственное письмо", ZAVODISKER.full_name),
            ("participant_diploma", "Диплом участника", ZAVODISKER.full_name),
        ]
        first = documents[0]
        assert set(first) == {
            "document_id",
            "kind",
            "title",
            "recipient_name",
            "language",
            "issued_on",
            "code",
            "filename",
        }
        assert first["filename"] == "Благодарственное письмо — Заводискер О. Ю.pdf"
        assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", first["code"])
        assert (await web.get(f"/documents/verify/{first['code']}")).json()["genuine"] is True
        pdf = await web.get(f"/documents/{first['document_id']}/pdf", params={"grant": grant})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-disposition"].endswith(
            f"filename*=UTF-8''{quote(first['filename'], safe='')}"
        )


@pytest.mark.parametrize("forged", ["another entry", "expired", "another key", "another scope", "garbage"])
async def test_a_wrong_grant_finds_no_documents_and_no_pdf(app: FastAPI, namespace: str, forged: str) -> None:
    _, entry = await finished_entry(app, namespace)
    _, other_entry = await finished_entry(app, namespace)
    key = service_of(app).settings.grant_key.get_secret_value()
    grant = {
        "another entry": documents_grant(app, other_entry),
        "expired": documents_grant(app, entry, 60, now=time.time() - 120),
        "another key": issue_grant("another-deployments-key", ENTRY_DOCUMENTS, str(entry), 600),
        "another scope": issue_grant(key, ENTRY_FILE, str(entry), 600),
        "garbage": "not-a-grant",
    }[forged]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as web:
        mine = (
            await web.get(f"/entries/{entry}/documents", params={"grant": documents_grant(app, entry)})
        ).json()
        listed = await web.get(f"/entries/{entry}/documents", params={"grant": grant})
        pdf = await web.get(f"/documents/{mine[0]['document_id']}/pdf", params={"grant": grant})
    assert (listed.status_code, pdf.status_code) == (404, 404)
    assert listed.headers["content-type"] == "application/problem+json"


async def test_the_organiser_lists_an_entrys_documents_without_a_grant(
    app: FastAPI, client: httpx.AsyncClient, namespace: str
) -> None:
    _, entry = await finished_entry(app, namespace)
    assert len((await client.get(f"/entries/{entry}/documents")).json()) == 2


def test_documents_print_the_web_fronts_verification_page(tmp_path: Path) -> None:
    settings = NotificationsSettings(data_dir=str(tmp_path))
    assert NotificationsSettings.model_fields["public_base_url"].default == "http://127.0.0.1:8000"
    custom = NotificationsSettings(data_dir=str(tmp_path), public_base_url="https://contest.example.org/")
    assert custom.verify_url().format(code="K7QD-2MXA") == "https://contest.example.org/verify/K7QD-2MXA"
    assert settings.verify_url().endswith("/verify/{code}")


async def test_the_channels_report_lists_the_loaded_ones(client: httpx.AsyncClient) -> None:
    report = (await client.get("/channels")).json()
    assert {"email", "file", "console", "webhook"} <= set(report["installed"])
    assert "file" in report["loaded"] and report["failures"] == []


# --- who may call what ---------------------------------------------------------------------------

PUBLIC = {("GET", "/health"), ("GET", "/ready"), ("GET", "/documents/verify/{code}")}
# an ENTRY_DOCUMENTS grant (or the organiser token); anyone else: 404
GRANT_OR_ORGANISER = {("GET", "/entries/{entry_id}/documents")}
ORGANISER_ONLY = {
    ("GET", "/deliveries"),
    ("GET", "/deliveries/{delivery_id}"),
    ("POST", "/deliveries/{delivery_id}/resend"),
    ("GET", "/contests/{contest_id}/untold"),
    ("GET", "/recipients/{recipient}/preferences"),
    ("PUT", "/recipients/{recipient}/preferences"),
    ("GET", "/templates"),
    ("GET", "/templates/{kind}/{language}/preview"),
    ("POST", "/templates/{kind}/{language}/preview"),
    ("GET", "/documents"),
    ("GET", "/documents/{document_id}/pdf"),  # ... or with an ENTRY_DOCUMENTS grant, as above
    ("GET", "/channels"),
}
DOCS = {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc")}


def flat(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, those of included routers too (FastAPI keeps them in the router they came from)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from flat(route.original_router.routes)
        else:
            yield route


def routes_of(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for route in flat(app.routes):
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, route.path))  # type: ignore[attr-defined]
    return found


def concrete(path: str) -> str:
    values = {"code": "AAAA-BBBB-CCCC-DDDD", "kind": "entry_received", "language": "ru"}
    return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


async def test_every_route_is_classified_and_organiser_routes_refuse_everyone_else(app: FastAPI) -> None:
    unclassified = routes_of(app) - PUBLIC - ORGANISER_ONLY - GRANT_OR_ORGANISER - DOCS
    assert not unclassified, f"classify these routes in the role matrix: {sorted(unclassified)}"
    assert routes_of(app) >= ORGANISER_ONLY | PUBLIC | GRANT_OR_ORGANISER, (
        "the matrix lists a route that is gone"
    )
    assert all(
        isinstance(r, APIRoute)
        for r in flat(app.routes)
        if getattr(r, "path", "") in {p for _, p in ORGANISER_ONLY}
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as anyone:
        for method, path in sorted(ORGANISER_ONLY):
            url, body = concrete(path), {"channels": ["file"]} if method == "PUT" else {}
            nobody = await anyone.request(method, url, json=body)
            stranger = await anyone.request(method, url, json=body, headers={"authorization": "Bearer guess"})
            assert (nobody.status_code, stranger.status_code) == (401, 403), (method, path)
        for method, path in sorted(PUBLIC):
            response = await anyone.request(method, concrete(path))
            assert response.status_code not in (401, 403), (method, path)
        for method, path in sorted(GRANT_OR_ORGANISER):
            url = concrete(path)
            for params in ({}, {"grant": "guess"}):
                response = await anyone.request(method, url, params=params)
                assert response.status_code == 404, (method, path, params)
