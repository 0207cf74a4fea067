"""Helpers for tests that run the services as real processes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

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


def entry_body(title: str, contest_id: uuid.UUID, email: str | None = "author@example.org") -> dict[str, Any]:
    return {
        "contest_id": str(contest_id),
        "nomination_code": "service-guide",
        "title": title,
        "authors": [{"full_name": "Иванова Анна Петровна", "territory_code": "belovo", "email": email}],
    }


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


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
