"""Fixtures of judging's service tests: an announced seed contest, through a real Redis and worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from judging.adapters.tables import ContestCopy
from judging.bootstrap import bootstrap
from judging.settings import JudgingSettings

from ...polling import eventually
from .judging_kit import api, publish, running_worker, seed_events, settings_for


@pytest.fixture
def settings(database_url: str, redis_url: str, namespace: str) -> JudgingSettings:
    return settings_for(database_url, redis_url, namespace)


@pytest.fixture
async def client(settings: JudgingSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with api(settings) as client:
        yield client


async def contest_is_closed(settings: JudgingSettings, contest_id: uuid.UUID) -> bool:
    runtime = bootstrap(settings)
    try:
        async with runtime.sessions() as session:
            contest = await session.scalar(select(ContestCopy).where(ContestCopy.id == contest_id))
            return bool(contest and contest.submissions_closed)
    finally:
        await runtime.close()


@pytest.fixture
async def seed_contest(
    settings: JudgingSettings, redis: Redis, namespace: str, client: httpx.AsyncClient
) -> AsyncIterator[Any]:
    """The seed contest announced and its 34 entries taken in, through the bus, with a worker running."""
    contest_id = uuid.uuid4()
    await publish(redis, namespace, *seed_events(contest_id))
    async with running_worker(settings):
        await eventually(
            lambda: contest_is_closed(settings, contest_id), what="submissions to close in judging"
        )
        yield contest_id


@pytest.fixture
async def small_contest(
    settings: JudgingSettings, redis: Redis, namespace: str, client: httpx.AsyncClient
) -> AsyncIterator[Any]:
    """A contest of 6 entries (2 per nomination) taken in through the bus, with a worker running."""
    contest_id = uuid.uuid4()
    await publish(redis, namespace, *seed_events(contest_id, count=6))
    async with running_worker(settings):
        await eventually(
            lambda: contest_is_closed(settings, contest_id), what="submissions to close in judging"
        )
        yield contest_id
