"""Anonymous uploads are bounded: files no entry lists yet ("pending") per client address and per
contest, uploads per address per minute (counted in the real Redis), and pending files are deleted by
the worker after the grace period; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from sqlalchemy import select, update

from submissions.adapters.tables import AttachmentRow
from submissions.domain import FixedClock
from submissions.entrypoints.scheduler import upload_sweeper
from submissions.main import create_app
from submissions.service_layer.attachments import sweep_unreferenced_uploads
from submissions.settings import SubmissionsSettings

from .conftest import bearer, create_published_contest, submit, submitted

PDF = b"%PDF-1.7\n" + b"0" * 200 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
GRACE = timedelta(hours=24)


@pytest.fixture
def limits() -> dict[str, Any]:
    """The settings a test changes (small limits, so that a few files reach them)."""
    return {}


@pytest.fixture
async def app(
    settings: SubmissionsSettings, clock: FixedClock, limits: dict[str, Any]
) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update=limits), clock=clock)
    async with application.router.lifespan_context(application):
        yield application


def client_at(app: FastAPI, peer: str) -> httpx.AsyncClient:
    """A client whose connection comes from `peer` (the default ASGI peer, 127.0.0.1, is a trusted proxy)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(peer, 40000)), base_url="http://test"
    )


async def upload(
    client: httpx.AsyncClient, contest_id: str, *, visitor: str | None = None, body: bytes = PDF
) -> httpx.Response:
    headers = {"Content-Type": "application/pdf"}
    if visitor is not None:
        headers["X-Forwarded-For"] = visitor
    return await client.post(
        f"/contests/{contest_id}/attachments", params={"filename": "a.pdf"}, content=body, headers=headers
    )


def is_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


async def rows(app: FastAPI) -> dict[str, AttachmentRow]:
    async with app.state.submissions.runtime.sessions() as session:
        return {row.key: row for row in (await session.scalars(select(AttachmentRow))).all()}


def stored_file(settings: SubmissionsSettings, key: str) -> Path:
    return Path(settings.data_dir) / "attachments" / key


@pytest.mark.parametrize("limits", [{"pending_uploads_per_client": 2}])
async def test_a_client_may_keep_only_so_many_files_no_entry_lists(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    first = await upload(client, contest_id, visitor="203.0.113.5")
    second = await upload(client, contest_id, visitor="203.0.113.5")
    assert (first.status_code, second.status_code) == (201, 201)

    refused = is_problem(await upload(client, contest_id, visitor="203.0.113.5"), 429)
    assert "submit the entry" in refused["detail"] and refused["max_files"] == 2
    # another visitor behind the same proxy has a quota of their own
    assert (await upload(client, contest_id, visitor="198.51.100.20")).status_code == 201

    # once an entry lists the files, they are no longer pending: the visitor may upload again
    await submitted(client, contest_id, attachments=[first.json(), second.json()])
    assert (await upload(client, contest_id, visitor="203.0.113.5")).status_code == 201


@pytest.mark.parametrize("limits", [{"pending_upload_bytes_per_client": 2 * len(PDF) + 10}])
async def test_a_client_may_keep_only_so_many_bytes_no_entry_lists_refused_before_the_body_is_read(
    client: httpx.AsyncClient, contest_id: str, app: FastAPI
) -> None:
    for _ in range(2):
        assert (await upload(client, contest_id, visitor="203.0.113.5")).status_code == 201
    refused = is_problem(await upload(client, contest_id, visitor="203.0.113.5"), 429)
    assert refused["max_bytes"] == 2 * len(PDF) + 10
    assert len(await rows(app)) == 2


@pytest.mark.parametrize("limits", [{"pending_uploads_per_contest": 3}])
async def test_a_contest_holds_only_so_many_files_no_entry_lists_from_everyone(
    client: httpx.AsyncClient, contest_id: str, app: FastAPI
) -> None:
    for visitor in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        assert (await upload(client, contest_id, visitor=visitor)).status_code == 201
    refused = is_problem(await upload(client, contest_id, visitor="203.0.113.4"), 409)
    assert "try again later" in refused["detail"]
    # another contest is not affected
    other = await create_published_contest(client, title="Другой конкурс")
    assert (await upload(client, other, visitor="203.0.113.4")).status_code == 201
    assert len(await rows(app)) == 4


@pytest.mark.parametrize("limits", [{"pending_upload_bytes_per_contest": 2 * len(PDF) + 10}])
async def test_a_contest_holds_only_so_many_bytes_no_entry_lists(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    assert (await upload(client, contest_id, visitor="203.0.113.1")).status_code == 201
    assert (await upload(client, contest_id, visitor="203.0.113.2")).status_code == 201
    is_problem(await upload(client, contest_id, visitor="203.0.113.3"), 409)


@pytest.mark.parametrize("limits", [{"upload_rate_limit": 2, "upload_rate_window_s": 60}])
async def test_uploads_past_the_rate_are_429_with_retry_after_counted_in_redis(
    client: httpx.AsyncClient, contest_id: str, redis: Redis, namespace: str
) -> None:
    for _ in range(2):
        assert (await upload(client, contest_id, visitor="203.0.113.5")).status_code == 201
    response = await upload(client, contest_id, visitor="203.0.113.5")
    refused = is_problem(response, 429)
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert refused["limit"] == 2 and "wait" in refused["detail"]
    # the count is Redis's, shared by replicas, and expires with the window
    key = f"{namespace}.submissions.upload-rate.203.0.113.5"
    assert int(await redis.get(key) or 0) == 3
    assert 0 < await redis.ttl(key) <= 60
    assert (await upload(client, contest_id, visitor="198.51.100.20")).status_code == 201


@pytest.mark.parametrize("limits", [{"pending_uploads_per_client": 2}])
async def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(app: FastAPI, contest_id: str) -> None:
    async with client_at(app, "198.51.100.7") as direct:
        assert (await upload(direct, contest_id, visitor="203.0.113.1")).status_code == 201
        assert (await upload(direct, contest_id, visitor="203.0.113.2")).status_code == 201
        # a header a stranger wrote does not make them someone else: all three are 198.51.100.7's
        is_problem(await upload(direct, contest_id, visitor="203.0.113.3"), 429)
    async with client_at(app, "127.0.0.1") as proxy:
        # behind the trusted proxy, only the address it appended counts, not what the client claimed
        spoofed = "203.0.113.9, 198.51.100.7"
        is_problem(await upload(proxy, contest_id, visitor=spoofed), 429)
        assert (await upload(proxy, contest_id, visitor="203.0.113.9")).status_code == 201


async def test_the_sweeper_deletes_old_files_no_entry_lists_and_keeps_listed_and_young_ones(
    client: httpx.AsyncClient, contest_id: str, app: FastAPI, settings: SubmissionsSettings
) -> None:
    old_unlisted = (await upload(client, contest_id)).json()
    old_listed = (await upload(client, contest_id)).json()
    young = (await upload(client, contest_id)).json()
    await submitted(client, contest_id, attachments=[old_listed])
    long_ago = datetime.now(UTC) - GRACE - timedelta(minutes=5)
    async with app.state.submissions.runtime.sessions() as session, session.begin():
        await session.execute(
            update(AttachmentRow)
            .where(AttachmentRow.key.in_([old_unlisted["key"], old_listed["key"]]))  # type: ignore[attr-defined]
            .values(uploaded_at=long_ago)
        )
        await session.execute(
            update(AttachmentRow)
            .where(AttachmentRow.key == old_unlisted["key"])  # type: ignore[arg-type]
            .values(unreferenced_since=long_ago)
        )

    swept = await sweep_unreferenced_uploads(app.state.submissions.context)

    assert swept == [old_unlisted["key"]]
    left = await rows(app)
    assert sorted(left) == sorted([old_listed["key"], young["key"]])
    assert not stored_file(settings, old_unlisted["key"]).exists()
    assert stored_file(settings, old_listed["key"]).exists() and stored_file(settings, young["key"]).exists()
    assert left[old_listed["key"]].uploaded_by is None, "a listed file keeps no address"


async def test_a_file_an_edit_drops_is_pending_again_and_swept_after_the_grace_period(
    client: httpx.AsyncClient, contest_id: str, app: FastAPI, settings: SubmissionsSettings
) -> None:
    kept, dropped = (await upload(client, contest_id)).json(), (await upload(client, contest_id)).json()
    receipt = await submitted(client, contest_id, attachments=[kept, dropped])
    edited = await client.patch(
        f"/entries/{receipt['id']}", json={"attachments": [kept]}, headers=bearer(receipt["token"])
    )
    assert edited.status_code == 200, edited.text
    assert (await rows(app))[dropped["key"]].unreferenced_since is not None

    context = app.state.submissions.context
    assert await sweep_unreferenced_uploads(context) == []  # within the grace period
    later = datetime.now(UTC) + GRACE + timedelta(minutes=1)
    assert await sweep_unreferenced_uploads(context, now=later) == [dropped["key"]]
    assert sorted(await rows(app)) == [kept["key"]]
    assert stored_file(settings, kept["key"]).exists() and not stored_file(settings, dropped["key"]).exists()


async def test_a_file_another_entry_lists_cannot_be_listed_again(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    ref = (await upload(client, contest_id)).json()
    await submitted(client, contest_id, attachments=[ref])
    other = await submit(client, contest_id, title="Другая практика", attachments=[ref])
    assert is_problem(other, 422)["key"] == ref["key"]


async def test_the_workers_sweeper_loop_deletes_counts_and_goes_on(
    client: httpx.AsyncClient, contest_id: str, app: FastAPI, settings: SubmissionsSettings
) -> None:
    ref = (await upload(client, contest_id)).json()
    async with app.state.submissions.runtime.sessions() as session, session.begin():
        await session.execute(
            update(AttachmentRow)
            .where(AttachmentRow.key == ref["key"])  # type: ignore[arg-type]
            .values(unreferenced_since=datetime.now(UTC) - GRACE - timedelta(seconds=1))
        )
    before = REGISTRY.get_sample_value("kaleidoscope_uploads_swept_total") or 0.0
    stop = asyncio.Event()
    loop = asyncio.create_task(upload_sweeper(app.state.submissions.context, 0.05)(stop))
    try:
        for _ in range(200):
            if not stored_file(settings, ref["key"]).exists():
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)
    assert not stored_file(settings, ref["key"]).exists() and await rows(app) == {}
    assert REGISTRY.get_sample_value("kaleidoscope_uploads_swept_total") == before + 1
