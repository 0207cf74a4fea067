"""The same-territory rule switched on where organisers set it, in submissions: a contest created (or
amended) with it through submissions' API, its events relayed to a real Redis and applied by judging's
worker; a juror from a territory then gets no entry from it, and the conflict is listed as automatic
with its reason."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from judging.settings import JudgingSettings
from kaleidoscope_shared.worker import build_relay
from submissions.domain import FixedClock
from submissions.main import create_app
from submissions.settings import SubmissionsSettings

from ...conftest import _admin, database_urls_for_processes
from ...polling import eventually
from ...submissions.api.conftest import ORGANISER_TOKEN, author, contest_body, entry_body
from ...submissions.conftest import DURING
from .conftest import contest_is_closed
from .judging_kit import ORGANISER, REVIEW, declare, juror_body, running_worker

SUBMISSIONS_ORGANISER = {"Authorization": f"Bearer {ORGANISER_TOKEN}"}


@pytest.fixture
def submissions_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Submissions' own database, beside judging's, on the same backend."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path}/submissions.db"
        return
    [url] = database_urls_for_processes(tmp_path, 1, "postgresql")
    yield url
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


@pytest.fixture
async def submissions(
    submissions_database_url: str, redis_url: str, namespace: str, tmp_path: Path
) -> AsyncIterator[FastAPI]:
    settings = SubmissionsSettings(
        database_url=submissions_database_url,
        redis_url=redis_url,
        bus_namespace=namespace,
        data_dir=str(tmp_path / "submissions-data"),
        environment="test",
        organiser_token=ORGANISER_TOKEN,  # type: ignore[arg-type]
        log_level="WARNING",
    )
    app = create_app(settings, clock=FixedClock(DURING))
    async with app.router.lifespan_context(app):
        yield app


async def contest_in_judging(
    submissions: FastAPI, settings: JudgingSettings, contest: dict[str, Any], **changes: Any
) -> dict[str, str]:
    """The contest published, an entry from each territory sent, submissions closed early (and the
    contest then changed by `changes`, a PATCH), all through submissions' API; its events relayed and
    applied by judging's worker. The entries' ids by territory."""
    transport = httpx.ASGITransport(app=submissions)
    async with httpx.AsyncClient(transport=transport, base_url="http://submissions") as api:
        created = await api.post("/contests", json=contest, headers=SUBMISSIONS_ORGANISER)
        assert created.status_code == 201, created.text
        contest_id = created.json()["id"]
        published = await api.post(f"/contests/{contest_id}/publish", headers=SUBMISSIONS_ORGANISER)
        assert published.status_code == 200, published.text
        entries = {}
        for territory, library in (
            ("belovo-city", "ЦБС г. Белово"),
            ("chebulinsky-district", "Чебулинская ЦБС"),
        ):
            body = entry_body(
                title=f"Практика: {territory}",
                authors=[author(territory_code=territory, library=library, email=f"{territory}@example.org")],
            )
            sent = await api.post(f"/contests/{contest_id}/entries", json=body)
            assert sent.status_code == 201, sent.text
            entries[territory] = sent.json()["id"]
        closed = await api.post(f"/contests/{contest_id}/close", headers=SUBMISSIONS_ORGANISER)
        assert closed.status_code == 200, closed.text
        if changes:
            amended = await api.patch(f"/contests/{contest_id}", json=changes, headers=SUBMISSIONS_ORGANISER)
            assert amended.status_code == 200, amended.text
    relay = build_relay(submissions.state.submissions.runtime)
    while await relay.relay_once():
        pass
    await eventually(
        lambda: contest_is_closed(settings, uuid.UUID(contest_id)), what="judging to close submissions"
    )
    return {"contest": contest_id, **entries}


async def juror_from_belovo(client: httpx.AsyncClient, contest_id: str) -> dict[str, Any]:
    """A juror of the Belovo city district, of a library no entry comes from, and one from elsewhere."""
    jurors = []
    for i, territory in ((0, "belovo-city"), (1, "tisul")):
        body = juror_body(i, library="Областная научная библиотека", territory_code=territory)
        registered = await client.post(f"/contests/{contest_id}/jurors", json=body, headers=ORGANISER)
        assert registered.status_code == 201, registered.text
        jurors.append(registered.json())
    return jurors[0]


async def entries_given(client: httpx.AsyncClient, contest_id: str, juror: dict[str, Any]) -> set[str]:
    stage = await declare(client, uuid.UUID(contest_id), REVIEW)
    opened = await client.post(f"/contests/{contest_id}/stages/{stage['id']}/open", headers=ORGANISER)
    assert opened.status_code == 200, opened.text
    mine = await client.get(
        f"/contests/{contest_id}/stages/{stage['id']}/my-entries",
        headers={"Authorization": f"Bearer {juror['token']}"},
    )
    assert mine.status_code == 200, mine.text
    return {e["id"] for e in mine.json()}


def with_territories(rules: list[str]) -> dict[str, Any]:
    body = contest_body()
    body["territories"].append(
        {"code": "tisul", "name": "Тисульский муниципальный округ", "kind": "municipal_district"}
    )
    body["rules"]["conflict_rules"] = rules
    return body


async def test_a_contest_created_with_the_same_territory_rule_keeps_a_juror_from_their_territory(
    submissions: FastAPI, settings: JudgingSettings, client: httpx.AsyncClient
) -> None:
    async with running_worker(settings):
        ids = await contest_in_judging(
            submissions, settings, with_territories(["same_library", "same_territory"])
        )
    contest_id = ids["contest"]
    juror = await juror_from_belovo(client, contest_id)

    assert await entries_given(client, contest_id, juror) == {ids["chebulinsky-district"]}
    listed = (await client.get(f"/contests/{contest_id}/conflicts", headers=ORGANISER)).json()
    [conflict] = [c for c in listed if c["juror_id"] == juror["id"]]
    assert (conflict["entry_id"], conflict["source"], conflict["rule"]) == (
        ids["belovo-city"],
        "automatic",
        "same_territory",
    )
    assert conflict["reason"] == "same territory as author Заводискер Оксана Юрьевна: belovo-city"


async def test_an_amendment_switching_the_rule_on_reaches_judging(
    submissions: FastAPI, settings: JudgingSettings, client: httpx.AsyncClient
) -> None:
    async with running_worker(settings):
        ids = await contest_in_judging(
            submissions,
            settings,
            with_territories(["same_library"]),
            rules={"conflict_rules": ["same_library", "same_territory"]},
        )

        async def rule_applied() -> bool:
            listed = (await client.get(f"/contests/{ids['contest']}/conflicts", headers=ORGANISER)).json()
            return any(c["rule"] == "same_territory" for c in listed)

        juror = await juror_from_belovo(client, ids["contest"])
        await eventually(rule_applied, what="judging to apply the amended rules")
    assert await entries_given(client, ids["contest"], juror) == {ids["chebulinsky-district"]}


async def test_without_the_rule_a_juror_gets_the_entries_of_their_territory(
    submissions: FastAPI, settings: JudgingSettings, client: httpx.AsyncClient
) -> None:
    async with running_worker(settings):
        ids = await contest_in_judging(submissions, settings, with_territories(["same_library"]))
    juror = await juror_from_belovo(client, ids["contest"])
    assert await entries_given(client, ids["contest"], juror) == {
        ids["belovo-city"],
        ids["chebulinsky-district"],
    }
    assert (await client.get(f"/contests/{ids['contest']}/conflicts", headers=ORGANISER)).json() == []
