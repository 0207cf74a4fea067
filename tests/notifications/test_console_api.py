"""What the organiser's console reads from notifications: the delivery log filtered by contest, kind,
recipient (any part of an e-mail or name, in any case), status and channel, a page at a time; who has
not been told about an event; previews of the new kinds. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from service_kit import (
    SIDOROVA,
    ZAVODISKER,
    author,
    consumer_for,
    contest_announced,
    deliver,
    entry_submitted,
    settings_for,
    wrap,
)

from notifications.bootstrap import Notifications
from notifications.channels import Channel, ChannelError, DeliveryReceipt, OutgoingMessage
from notifications.main import create_app

ORGANISER = {"authorization": "Bearer organiser-dev-token"}
MALYSHEVA = author("Малышева Ксения Олеговна", "malysheva@chebula.example")
FEDOROVA = author("Фёдорова Алёна Петровна", "fedorova@yurga.example")
ZAVODISKER_AT, SIDOROVA_AT, MALYSHEVA_AT, FEDOROVA_AT = (
    str(a.email) for a in (ZAVODISKER, SIDOROVA, MALYSHEVA, FEDOROVA)
)


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


class Selective(Channel):
    """Refuses some addresses for good, others for now, and takes the rest."""

    def __init__(
        self, name: str, dead: frozenset[str] = frozenset(), busy: frozenset[str] = frozenset()
    ) -> None:
        self.name, self.dead, self.busy = name, dead, busy

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        address = message.recipient.address
        if address in self.dead:
            raise ChannelError("550 mailbox unavailable", permanent=True)
        if address in self.busy:
            raise ChannelError("421 try again later", permanent=False)
        return DeliveryReceipt(provider_id=f"{self.name}:{address}")


async def contest_with_entries(app: FastAPI, namespace: str) -> uuid.UUID:
    """Two entries: «Рюкзачок знаний» by Заводискер and Сидорова, «Красная книга» by Малышева and
    Фёдорова; each author told that their entry was received."""
    contest = uuid.uuid4()
    events = [
        contest_announced(contest),
        entry_submitted(contest, authors=[ZAVODISKER, SIDOROVA]),
        entry_submitted(contest, title="Красная книга", authors=[MALYSHEVA, FEDOROVA]),
    ]
    await deliver(consumer_for(service_of(app)), namespace, *[wrap(e) for e in events])
    return contest


def recipients(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [d["recipient"] for d in response.json()]


# --- the delivery log's filters ------------------------------------------------------------------


async def test_the_log_is_filtered_by_kind_as_event_type_or_message_kind(
    app: FastAPI, client: httpx.AsyncClient, namespace: str
) -> None:
    contest = await contest_with_entries(app, namespace)
    other = await contest_with_entries(app, namespace)
    mine = {"contest_id": str(contest)}
    every = recipients(await client.get("/deliveries", params=mine))
    assert len(every) == 4  # each author told that their entry was received
    for kind in ("entry-submitted", "entry_received", "entry-received"):
        found = await client.get("/deliveries", params={**mine, "kind": kind})
        assert sorted(recipients(found)) == sorted([ZAVODISKER_AT, SIDOROVA_AT, MALYSHEVA_AT, FEDOROVA_AT])
    assert recipients(await client.get("/deliveries", params={**mine, "kind": "deadline_changed"})) == []
    both = await client.get("/deliveries", params={"kind": "entry_received", "recipient": "malysheva"})
    assert {d["contest_id"] for d in both.json()} == {str(contest), str(other)}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("заводискер", [ZAVODISKER_AT]),  # a name, lower case, Cyrillic
        ("ОКСАНА", [ZAVODISKER_AT]),
        ("федорова", [FEDOROVA_AT]),  # е for ё
        ("Алёна", [FEDOROVA_AT]),
        ("BELOVO-LIB", [ZAVODISKER_AT, SIDOROVA_AT]),  # part of an e-mail, upper case
        ("  chebula.example ", [MALYSHEVA_AT]),
        ("nobody", []),
    ],
)
async def test_the_log_is_searched_by_any_part_of_the_recipients_email_or_name_in_any_case(
    app: FastAPI, client: httpx.AsyncClient, namespace: str, typed: str, expected: list[str]
) -> None:
    contest = await contest_with_entries(app, namespace)
    found = await client.get(
        "/deliveries", params={"contest_id": str(contest), "recipient": typed, "kind": "entry_received"}
    )
    assert sorted(recipients(found)) == sorted(expected)


async def test_the_log_is_filtered_by_status_and_channel_and_paged_after_the_search(
    app: FastAPI, client: httpx.AsyncClient, namespace: str
) -> None:
    contest = await contest_with_entries(app, namespace)
    await (
        service_of(app)
        .dispatcher({"file": Selective("file", dead=frozenset({MALYSHEVA_AT}))})
        .dispatch_once()
    )
    mine = {"contest_id": str(contest)}
    dead = await client.get("/deliveries", params={**mine, "status": "dead"})
    assert recipients(dead) == [MALYSHEVA_AT]
    sent = await client.get("/deliveries", params={**mine, "status": ["sent", "dead"], "channel": "file"})
    assert len(recipients(sent)) == 4
    assert recipients(await client.get("/deliveries", params={**mine, "channel": "console"})) == []
    whole = recipients(await client.get("/deliveries", params={**mine, "recipient": ".example"}))
    assert len(whole) == 4
    pages = [
        recipients(
            await client.get(
                "/deliveries", params={**mine, "recipient": ".example", "limit": 2, "offset": offset}
            )
        )
        for offset in (0, 3, 4)
    ]
    assert pages == [whole[:2], whole[3:], []]
    too_long = await client.get("/deliveries", params={"recipient": "x" * 321})
    assert too_long.status_code == 422 and too_long.headers["content-type"] == "application/problem+json"


# --- who has not been told -----------------------------------------------------------------------


async def test_the_untold_are_those_with_a_failed_or_dead_delivery_and_none_sent_for_the_event(
    app: FastAPI, client: httpx.AsyncClient, namespace: str
) -> None:
    prefs = {"channels": ["file", "console"]}  # told by the console even when the file refuses her
    assert (await client.put(f"/recipients/{SIDOROVA_AT}/preferences", json=prefs)).status_code == 200
    contest = await contest_with_entries(app, namespace)
    other = await contest_with_entries(app, namespace)  # its failures are not this contest's
    channels: dict[str, Channel] = {
        "file": Selective(
            "file", dead=frozenset({ZAVODISKER_AT, SIDOROVA_AT}), busy=frozenset({FEDOROVA_AT})
        ),
        "console": Selective("console"),
    }
    await service_of(app).dispatcher(channels).dispatch_once()
    untold = await client.get(f"/contests/{contest}/untold")
    assert untold.status_code == 200, untold.text
    rows = untold.json()
    assert [(r["recipient"], r["last_status"]) for r in rows] == [
        (FEDOROVA_AT, "failed"),
        (ZAVODISKER_AT, "dead"),
    ]
    zavodisker = rows[1]
    assert {k: zavodisker[k] for k in ("event_type", "kind", "last_error", "channel")} == {
        "event_type": "entry-submitted",
        "kind": "entry_received",
        "last_error": "550 mailbox unavailable",
        "channel": "file",
    }
    assert zavodisker["recipient_name"] == ZAVODISKER.full_name
    assert set(rows[0]) >= {"recipient", "event_type", "kind", "last_status", "last_error", "delivery_id"}
    detail = (await client.get(f"/deliveries/{zavodisker['delivery_id']}")).json()
    assert (detail["recipient"], detail["status"]) == (ZAVODISKER_AT, "dead")
    assert (await client.get(f"/contests/{other}/untold")).json() != []

    await client.post(f"/deliveries/{zavodisker['delivery_id']}/resend")
    await service_of(app).dispatcher({"file": Selective("file")}).dispatch_once()  # and Фёдорова's retry
    assert (await client.get(f"/contests/{contest}/untold")).json() == []


async def test_the_untold_of_an_unknown_contest_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/contests/{uuid.uuid4()}/untold")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "announced" in response.json()["detail"]


# --- previews of the console's kinds -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "language", "expected"),
    [
        ("deadline_changed", "ru", "заявки принимаются до 15 сентября 2025 г., 18:00"),
        ("deadline-changed", "en", "entries are accepted until 15 September 2025, 18:00"),
        ("juror_link_reissued", "ru", "Прежняя ссылка больше не действует."),
        ("juror-link-reissued", "en", "The old link no longer works."),
    ],
)
async def test_the_new_kinds_are_listed_and_previewed_with_sample_data(
    client: httpx.AsyncClient, kind: str, language: str, expected: str
) -> None:
    listed = {t["kind"]: t for t in (await client.get("/templates")).json()}
    canonical = kind.replace("-", "_")
    assert listed[canonical]["languages"] == ["ru", "en"]
    preview = await client.get(f"/templates/{kind}/{language}/preview")
    assert preview.status_code == 200, preview.text
    assert preview.json()["kind"] == canonical and expected in preview.json()["text"]
    draft = await client.post(
        f"/templates/{kind}/{language}/preview", json={"subject": "{{ recipient.name }}: {{ contest.title }}"}
    )
    assert draft.status_code == 200 and draft.json()["subject"].endswith("«Библиотечный калейдоскоп»")
