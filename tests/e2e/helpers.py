"""Helpers for tests that run the services as real processes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN

FAST_BUS = {
    f"{service}_{name}": value
    for service in ("SUBMISSIONS", "JUDGING", "NOTIFICATIONS")
    for name, value in {
        "RECLAIM_IDLE_MS": "1000",
        "RECLAIM_INTERVAL_S": "0.3",
        "CONSUMER_BLOCK_MS": "200",
        "RELAY_LEASE_S": "2",
    }.items()
}


ORGANISER = {"Authorization": f"Bearer {DEVELOPMENT_ORGANISER_TOKEN}"}


def contest_body() -> dict[str, Any]:
    """A contest open from an hour ago until tomorrow, in which one author may send many entries."""
    now = datetime.now(UTC)
    return {
        "title": "Библиотечный калейдоскоп",
        "nominations": [{"code": "service-guide", "title": "Сервис гид"}],
        "territories": [{"code": "belovo", "name": "Беловский городской округ", "kind": "city_district"}],
        "window": {
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
        },
        "rules": {"max_entries_per_author_per_nomination": 1_000_000},
    }


def open_contest(submissions_url: str, organiser_token: str = DEVELOPMENT_ORGANISER_TOKEN) -> uuid.UUID:
    """Create and publish a contest through the submissions API; its id."""
    headers = {"Authorization": f"Bearer {organiser_token}"}
    with httpx.Client(base_url=submissions_url, headers=headers, timeout=10) as client:
        created = client.post("/contests", json=contest_body())
        created.raise_for_status()
        contest_id = created.json()["id"]
        client.post(f"/contests/{contest_id}/publish").raise_for_status()
    return uuid.UUID(contest_id)


def entry_body(title: str, email: str | None = "author@example.org") -> dict[str, Any]:
    return {
        "nomination_code": "service-guide",
        "title": title,
        "authors": [{"full_name": "Иванова Анна Петровна", "territory_code": "belovo", "email": email}],
        "consent_to_personal_data": True,
    }


def count_rows(database_url: str, table: Any, *where: Any) -> int:
    async def count() -> int:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return int(
                    await connection.scalar(select(func.count()).select_from(table).where(*where)) or 0
                )
        finally:
            await engine.dispose()

    return asyncio.run(count())
