"""The personal link in a juror's e-mails: a signed ticket that signs them in as their token does,
until it expires; a forged, altered or expired one is refused with what to do."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from judging.adapters.tables import BUS_TABLES
from judging.bootstrap import bootstrap
from judging.service_layer.jury import SIGN_IN_TTL_S, personal_link, sign_in_ticket
from judging.settings import JudgingSettings
from kaleidoscope_shared.sealing import unseal

from .judging_kit import ORGANISER, REVIEW, declare, register_jury

SIGN_IN = "http://127.0.0.1:8000/jury/sign-in?ticket="


def ticket_header(ticket: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {ticket}"}


async def outbox_payloads(settings: JudgingSettings, event_type: str) -> list[dict[str, Any]]:
    runtime = bootstrap(settings)
    outbox = BUS_TABLES.outbox
    try:
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(outbox.c.envelope).where(outbox.c.stream.like(f"%.{event_type}.v1"))
            )
            return [json.loads(envelope)["payload"] for (envelope,) in rows]
    finally:
        await runtime.close()


async def test_the_link_of_juror_assigned_signs_the_juror_in(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    jurors = await register_jury(client, small_contest, 2)
    review = await declare(client, small_contest, REVIEW)
    await client.post(f"/contests/{small_contest}/stages/{review['id']}/open", headers=ORGANISER)
    payloads = await outbox_payloads(settings, "juror-assigned")
    assert all(p["personal_link"] is None and "ticket" not in str(p) for p in payloads)  # sealed on the bus
    key = settings.link_key.get_secret_value()
    links = {p["juror_id"]: unseal(p["sealed_personal_link"], key) for p in payloads}
    assert set(links) == {j["id"] for j in jurors} and all(
        link.startswith(SIGN_IN) for link in links.values()
    )
    ticket = links[jurors[1]["id"]].removeprefix(SIGN_IN)
    assert ticket.startswith("juror-sign-in.")

    me = await client.get("/jurors/me", headers=ticket_header(ticket))
    assert me.status_code == 200 and me.json()["id"] == jurors[1]["id"]
    assert me.json()["contest_id"] == str(small_contest), "the sign-in page learns the contest from it"
    in_contest = await client.get(f"/contests/{small_contest}/me", headers=ticket_header(ticket))
    assert in_contest.json()["id"] == jurors[1]["id"]
    stages = await client.get(f"/contests/{small_contest}/my-stages", headers=ticket_header(ticket))
    assert stages.status_code == 200 and stages.json()[0]["assigned"] == 5
    elsewhere = await client.get(f"/contests/{uuid.uuid4()}/my-stages", headers=ticket_header(ticket))
    assert elsewhere.status_code == 404


async def test_an_altered_or_expired_ticket_is_refused_with_what_to_do(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    [juror] = await register_jury(client, small_contest, 1)
    ticket = sign_in_ticket(settings, uuid.UUID(juror["id"]))
    _, _, expires, signature = ticket.split(".")
    someone_else = f"juror-sign-in.{uuid.uuid4()}.{expires}.{signature}"
    expired = sign_in_ticket(settings, uuid.UUID(juror["id"]), now=time.time() - SIGN_IN_TTL_S - 60)
    other_key = sign_in_ticket(
        JudgingSettings(grant_key="another-deployment's-key"),
        uuid.UUID(juror["id"]),  # type: ignore[arg-type]
    )
    for bad in (someone_else, expired, other_key, "juror-sign-in.nonsense"):
        response = await client.get(f"/contests/{small_contest}/me", headers=ticket_header(bad))
        assert response.status_code == 401, bad
        assert "ask the organiser for a new link" in response.json()["detail"]
        assert (await client.get("/jurors/me", headers=ticket_header(bad))).status_code == 401
    assert (await client.get("/jurors/me", headers=ticket_header(ticket))).status_code == 200


def test_the_link_starts_with_the_web_fronts_address() -> None:
    settings = JudgingSettings(public_base_url="https://contest.example.org/", environment="test")
    link = personal_link(settings, uuid.uuid4())
    assert link.startswith("https://contest.example.org/jury/sign-in?ticket=juror-sign-in.")
    assert JudgingSettings(environment="test").public_base_url == "http://127.0.0.1:8000"
