"""The outbox relay: claims committed outbox rows, publishes them to their streams, marks them sent.

Several relays may run (one per worker replica). Rows are claimed with a lease: on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, on SQLite by its single writer. A relay that dies between publishing and
marking sent leaves its rows claimed; when the lease runs out another relay publishes them again,
and consumers drop the duplicate by its `event_id`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ..db import SessionFactory, is_postgresql
from ..observability.logging import get_logger
from ..observability.metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG
from .stopping import sleep_or_stop
from .tables import OUTBOX_IN_PROGRESS, OUTBOX_PENDING, OUTBOX_SENT, BusTables

log = get_logger(__name__)


@dataclass(frozen=True)
class RelaySettings:
    name: str
    batch_size: int = 200
    poll_interval_s: float = 0.01
    lease_s: float = 10.0
    retention_s: float = 3600.0


@dataclass(frozen=True)
class ClaimedRow:
    id: int
    stream: str
    envelope: str


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: SessionFactory,
        tables: BusTables,
        redis: Redis,
        settings: RelaySettings,
        producer: str,
    ) -> None:
        self._outbox = tables.outbox
        self._sessions = sessions
        self._redis = redis
        self._settings = settings
        self._producer = producer
        self._skip_locked = is_postgresql(engine)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; a Redis or database outage only pauses it."""
        last_prune = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                published = await self.relay_once()
                if loop.time() - last_prune > 60:
                    last_prune = loop.time()
                    await self.prune_and_measure()
            except (RedisError, OSError) as error:
                log.warning("relay.redis_unavailable", error=str(error))
                published = 0
                await sleep_or_stop(stop, 0.5)
            except Exception:
                log.exception("relay.failed")
                published = 0
                await sleep_or_stop(stop, 0.5)
            if published < self._settings.batch_size:
                await sleep_or_stop(stop, self._settings.poll_interval_s)

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published."""
        rows = await self._claim()
        if not rows:
            return 0
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for row in rows:
                    pipe.xadd(row.stream, {"envelope": row.envelope})
                await pipe.execute()
        except Exception as error:
            await self._release(rows, str(error))
            raise
        await self._mark_sent(rows)
        for row in rows:
            EVENTS_PUBLISHED.labels(row.stream).inc()
        return len(rows)

    async def _claim(self) -> list[ClaimedRow]:
        now = datetime.now(UTC)
        table = self._outbox
        claimable = (
            select(table.c.id)
            .where(
                or_(
                    table.c.status == OUTBOX_PENDING,
                    and_(table.c.status == OUTBOX_IN_PROGRESS, table.c.claimed_until < now),
                )
            )
            .order_by(table.c.id)
            .limit(self._settings.batch_size)
        )
        if self._skip_locked:
            claimable = claimable.with_for_update(skip_locked=True)
        statement = (
            update(table)
            .where(table.c.id.in_(claimable.scalar_subquery()))
            .values(
                status=OUTBOX_IN_PROGRESS,
                claimed_by=self._settings.name,
                claimed_until=now + timedelta(seconds=self._settings.lease_s),
                attempts=table.c.attempts + 1,
            )
            .returning(table.c.id, table.c.stream, table.c.envelope)
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
            rows = [ClaimedRow(r.id, r.stream, r.envelope) for r in result]
        return sorted(rows, key=lambda row: row.id)

    async def _mark_sent(self, rows: list[ClaimedRow]) -> None:
        table = self._outbox
        async with self._sessions.begin() as session:
            await session.execute(
                update(table)
                .where(table.c.id.in_([row.id for row in rows]), table.c.claimed_by == self._settings.name)
                .values(status=OUTBOX_SENT, sent_at=datetime.now(UTC), claimed_until=None, last_error=None)
            )

    async def _release(self, rows: list[ClaimedRow], error: str) -> None:
        table = self._outbox
        try:
            async with self._sessions.begin() as session:
                await session.execute(
                    update(table)
                    .where(table.c.id.in_([row.id for row in rows]), table.c.status == OUTBOX_IN_PROGRESS)
                    .values(status=OUTBOX_PENDING, claimed_until=None, last_error=error[:2000])
                )
        except Exception:
            log.exception("relay.release_failed")  # the lease runs out and another pass retries

    async def prune_and_measure(self) -> int:
        """Drop rows sent longer ago than the retention; report the unsent backlog."""
        table = self._outbox
        cutoff = datetime.now(UTC) - timedelta(seconds=self._settings.retention_s)
        async with self._sessions.begin() as session:
            await session.execute(
                delete(table).where(table.c.status == OUTBOX_SENT, table.c.sent_at < cutoff)
            )
            backlog = await session.scalar(
                select(func.count()).select_from(table).where(table.c.status != OUTBOX_SENT)
            )
        OUTBOX_BACKLOG.labels(self._producer).set(backlog or 0)
        return int(backlog or 0)
