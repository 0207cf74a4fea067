"""Judging's copy of contests and entries, built from submissions' events arriving in any order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from redis.asyncio import Redis

from judging.adapters.tables import EntryCopy
from judging.bootstrap import bootstrap
from judging.settings import JudgingSettings
from kaleidoscope_shared.contracts import (
    AttachmentInfo,
    EntryRef,
    EntryUpdated,
    EntryWithdrawn,
    SubmissionsClosed,
)

from ...polling import eventually
from .conftest import contest_is_closed
from .judging_kit import ORGANISER, announced, publish, running_worker, submitted

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def withdrawn(contest: uuid.UUID, entry_id: uuid.UUID, revision: int) -> EntryWithdrawn:
    return EntryWithdrawn(entry_id=entry_id, contest_id=contest, revision=revision, withdrawn_at=NOW)


async def listed(client: httpx.AsyncClient, contest: uuid.UUID) -> list[dict[str, object]]:
    return (await client.get(f"/contests/{contest}/entries")).json()  # type: ignore[no-any-return]


async def test_a_withdrawal_seen_first_is_not_resurrected_by_the_older_submission(
    settings: JudgingSettings, client: httpx.AsyncClient, redis: Redis, namespace: str
) -> None:
    contest, entry_id = uuid.uuid4(), uuid.uuid4()
    await publish(redis, namespace, withdrawn(contest, entry_id, 2))
    async with running_worker(settings):
        await eventually(lambda: _count(client, contest, 1), what="the tombstone")
        await publish(redis, namespace, submitted(contest, 0, entry_id))
        await publish(redis, namespace, submitted(contest, 1))  # a marker that the first was handled
        await eventually(lambda: _count(client, contest, 2), what="the later entry")
    rows = {row["id"]: row for row in await listed(client, contest)}
    assert rows[str(entry_id)]["withdrawn"] is True and rows[str(entry_id)]["revision"] == 2


async def test_an_update_applies_only_when_newer(
    settings: JudgingSettings, client: httpx.AsyncClient, redis: Redis, namespace: str
) -> None:
    contest = uuid.uuid4()
    first = submitted(contest, 0)
    newer = EntryUpdated(**{**first.model_dump(), "revision": 3, "title": "Renamed", "updated_at": NOW})
    older = EntryUpdated(**{**first.model_dump(), "revision": 2, "title": "Stale", "updated_at": NOW})
    await publish(redis, namespace, first, newer, older)
    async with running_worker(settings):
        await eventually(lambda: _title(client, contest, "Renamed"), what="the newer revision")
        await publish(redis, namespace, submitted(contest, 1))
        await eventually(lambda: _count(client, contest, 2), what="the marker entry")
    assert [row["title"] for row in await listed(client, contest) if row["id"] == str(first.entry_id)] == [
        "Renamed"
    ]


async def test_the_content_a_juror_reads_follows_the_newest_revision(
    settings: JudgingSettings, client: httpx.AsyncClient, redis: Redis, namespace: str
) -> None:
    contest = uuid.uuid4()
    first = submitted(contest, 0)
    poster = AttachmentInfo(key="k-poster", filename="poster.pdf", media_type="application/pdf", size_bytes=9)
    newer = EntryUpdated(
        **{
            **first.model_dump(),
            "revision": 3,
            "annotation": "Corrected annotation",
            "links": ["https://example.org/a", "https://example.org/b"],
            "attachments": [poster.model_dump()],
            "updated_at": NOW,
        }
    )
    older = EntryUpdated(
        **{**first.model_dump(), "revision": 2, "annotation": "Stale", "links": [], "updated_at": NOW}
    )
    await publish(redis, namespace, first, newer, older)
    async with running_worker(settings):
        await publish(redis, namespace, submitted(contest, 1))  # a marker after the three
        await eventually(lambda: _count(client, contest, 2), what="the marker entry")
        await eventually(
            lambda: _annotation_is(settings, first.entry_id, "Corrected annotation"), what="rev 3"
        )
    copy = await _copy(settings, first.entry_id)
    assert copy.revision == 3
    assert copy.links == ["https://example.org/a", "https://example.org/b"]
    assert copy.attachments == [
        {"key": "k-poster", "filename": "poster.pdf", "media_type": "application/pdf", "size_bytes": 9}
    ]


async def _copy(settings: JudgingSettings, entry_id: uuid.UUID) -> EntryCopy:
    runtime = bootstrap(settings)
    try:
        async with runtime.sessions() as session:
            copy = await session.get(EntryCopy, entry_id)
            assert copy is not None
            return copy
    finally:
        await runtime.close()


async def _annotation_is(settings: JudgingSettings, entry_id: uuid.UUID, annotation: str) -> bool:
    runtime = bootstrap(settings)
    try:
        async with runtime.sessions() as session:
            copy = await session.get(EntryCopy, entry_id)
            return copy is not None and copy.annotation == annotation
    finally:
        await runtime.close()


async def test_submissions_closed_waits_for_its_contest_and_entries(
    settings: JudgingSettings, client: httpx.AsyncClient, redis: Redis, namespace: str
) -> None:
    contest = uuid.uuid4()
    entries = [submitted(contest, i) for i in range(3)]
    closed = SubmissionsClosed(
        contest_id=contest,
        closed_at=NOW,
        closed_by="organiser",
        entries=[EntryRef(entry_id=e.entry_id, revision=1) for e in entries],
    )
    await publish(redis, namespace, closed, entries[0])
    async with running_worker(settings):
        await eventually(lambda: _count(client, contest, 1), what="the first entry")
        assert not await contest_is_closed(settings, contest), "the contest was never announced"
        await publish(redis, namespace, announced(contest), *entries[1:])
        await eventually(
            lambda: contest_is_closed(settings, contest), what="SubmissionsClosed to be retried and applied"
        )
    jurors = await client.get(f"/contests/{contest}/jurors", headers=ORGANISER)
    assert jurors.status_code == 200 and jurors.json() == []


async def _count(client: httpx.AsyncClient, contest: uuid.UUID, n: int) -> bool:
    return len(await listed(client, contest)) == n


async def _title(client: httpx.AsyncClient, contest: uuid.UUID, title: str) -> bool:
    return any(row["title"] == title for row in await listed(client, contest))
