"""The outbox relay: claims committed outbox rows, publishes them to their streams, marks them sent.

Several relays may run (one per worker replica). Rows are claimed with a lease: on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, on SQLite by its single writer. A relay that dies between publishing and
marking sent leaves its rows claimed; when the lease runs out another relay publishes them again,
and consumers drop the duplicate by its `event_id`.

Sent rows are kept for `retention_s`, so that what Redis loses can be published again. Every
`check_interval_s` a relay compares Redis's run id with the one its service last saw (a key in Redis):
- the key is gone: Redis came back empty (no AOF, or its files lost) and every event it held unread
  may be lost — every sent row still kept is published again;
- the run id differs: Redis restarted with its data, but may have lost the last writes before the
  crash (AOF with `appendfsync everysec` loses up to a second) — rows sent since `replay_window_s`
  before this relay last saw the old run id are published again (all kept rows if it never saw it).
Consumers' inboxes absorb the repeats.

Streams do not grow without bound: on each pruning pass (every minute) the relay trims the streams its
service produces (`XTRIM MINID`) to the oldest entry that some consumer group still needs
— the oldest pending entry of a group, else the last one delivered to it — and never to entries newer
than `stream_retention_s`, so that a group created within that time (a service deployed later, or one
whose group was lost) still reads its events from the start. Dead-letter streams are not trimmed.

A relay does not spin on its outbox: with a nudge channel it sleeps until a transaction that wrote
outbox rows commits (the committing process PUBLISHes a nudge, `nudge.py`) and claims at once; every
`poll_interval_s` without a nudge it claims anyway, the safety net for a nudge that was lost. Without a
channel it polls every `poll_interval_s`. A full batch is followed by the next claim straight away.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ..contracts import DEFAULT_NAMESPACE
from ..db import SessionFactory, is_database_unavailable, is_postgresql
from ..observability import tracing
from ..observability.logging import get_logger
from ..observability.metrics import (
    DEPENDENCY_UNAVAILABLE,
    EVENTS_PUBLISHED,
    EVENTS_REPUBLISHED,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    READY,
    RELAY_PUBLISH_SECONDS,
    STREAM_TRIMMED,
    event_type_of,
)
from .nudge import NudgeListener
from .stopping import sleep_or_stop, sleep_until_woken
from .tables import OUTBOX_IN_PROGRESS, OUTBOX_PENDING, OUTBOX_SENT, BusTables

log = get_logger(__name__)


@dataclass(frozen=True)
class RelaySettings:
    name: str
    batch_size: int = 200
    poll_interval_s: float = 2.0
    """How long a relay waits for a nudge before claiming anyway (the safety net)."""
    nudge_channel: str | None = None
    """Where this producer's nudges arrive (`nudge.nudge_channel`); None: poll only."""
    lease_s: float = 10.0
    retention_s: float = 3600.0
    stream_retention_s: float | None = 7 * 86400.0
    """Entries younger than this stay in the streams whatever the groups have read (None: no
    trimming)."""
    namespace: str = DEFAULT_NAMESPACE
    check_interval_s: float = 0.5
    replay_window_s: float = 30.0
    measure_interval_s: float = 5.0
    """How often the outbox backlog and the age of its oldest unsent row are measured."""


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
        self._run_key = f"{settings.namespace}.relay.{producer}.redis-run-id"
        self._confirmed_at: datetime | None = None
        self._ready = READY.labels(producer)
        self._publish_seconds = RELAY_PUBLISH_SECONDS.labels(producer)
        self._published: dict[str, Any] = {}  # stream → its kaleidoscope_events_published_total

    async def check_redis(self) -> int:
        """Publish again what a restarted or emptied Redis may have lost (see the module's text).
        Returns how many sent rows were queued again."""
        async with self._redis.pipeline(transaction=False) as pipe:  # one round trip
            pipe.info("server")
            pipe.get(self._run_key)
            info, seen = await pipe.execute()
        run_id = str(info["run_id"])
        now = datetime.now(UTC)
        if seen is not None and seen.decode() == run_id:
            self._confirmed_at = now
            return 0
        if seen is None:
            cutoff, reason = None, "redis-empty"
        elif self._confirmed_at is not None:
            cutoff, reason = (
                self._confirmed_at - timedelta(seconds=self._settings.replay_window_s),
                "restarted",
            )
        else:
            cutoff, reason = None, "restarted"
        requeued = await self._requeue_sent(cutoff)
        await self._redis.set(self._run_key, run_id)  # after the rows are queued: a crash repeats it
        self._confirmed_at = now
        if requeued:
            EVENTS_REPUBLISHED.labels(self._producer, reason).inc(requeued)
            log.warning("relay.redis_changed", reason=reason, republishing=requeued, run_id=run_id)
        elif seen is None:
            # nothing sent is kept: a first start (or a Redis emptied after the outbox was pruned)
            log.info("relay.redis_run_recorded", run_id=run_id)
        else:
            log.info("relay.redis_changed", reason=reason, republishing=0, run_id=run_id)
        return requeued

    async def _requeue_sent(self, since: datetime | None) -> int:
        table = self._outbox
        statement = (
            update(table)
            .where(table.c.status == OUTBOX_SENT)
            .values(status=OUTBOX_PENDING, claimed_by=None, claimed_until=None)
        )
        if since is not None:
            statement = statement.where(table.c.sent_at >= since)
        async with self._sessions.begin() as session:
            result: Any = await session.execute(statement)
        return int(result.rowcount or 0)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; a Redis or database outage only pauses it. With tracing on, its
        polling is not traced: only its publish spans are made."""
        with tracing.quiet():
            await self._run(stop)

    async def _run(self, stop: asyncio.Event) -> None:
        channel = self._settings.nudge_channel
        if channel is None:
            await self._loop(stop, None)
            return
        listener = NudgeListener(self._redis, channel)
        listening = asyncio.create_task(listener.run(stop), name="relay-nudges")
        try:
            await self._loop(stop, listener.woken)
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)

    async def _loop(self, stop: asyncio.Event, woken: asyncio.Event | None) -> None:
        last_prune = last_check = last_measure = -1e9
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            if woken is not None:
                woken.clear()  # a nudge from here on (while claiming) means another pass
            try:
                if loop.time() - last_check >= self._settings.check_interval_s:
                    await self.check_redis()
                    last_check = loop.time()
                published = await self.relay_once()
                if loop.time() - last_prune > 60:
                    last_prune = last_measure = loop.time()
                    await self.prune_and_measure()
                elif loop.time() - last_measure >= self._settings.measure_interval_s:
                    last_measure = loop.time()
                    await self.measure()
                self._ready.set(1)
            except RedisError as error:
                log.warning("relay.redis_unavailable", error=str(error))
                DEPENDENCY_UNAVAILABLE.labels("redis", "relay").inc()
                self._ready.set(0)
                published = 0
                await sleep_or_stop(stop, 0.5)
            except Exception as error:
                if is_database_unavailable(error):
                    log.warning("relay.database_unavailable", error=str(error)[:500])
                    DEPENDENCY_UNAVAILABLE.labels("database", "relay").inc()
                    self._ready.set(0)
                else:
                    log.exception("relay.failed")
                published = 0
                await sleep_or_stop(stop, 0.5)
            if published < self._settings.batch_size:  # until nudged, at most the poll interval
                await sleep_until_woken(stop, woken, self._settings.poll_interval_s)

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published."""
        rows = await self._claim()
        if not rows:
            return 0
        # with tracing on, a span per event, a child of the context its envelope carries
        spans = (
            [tracing.start_publish_span(row.stream, row.envelope) for row in rows]
            if tracing.enabled()
            else []
        )
        try:
            started = time.perf_counter()
            async with self._redis.pipeline(transaction=False) as pipe:
                for row in rows:
                    pipe.xadd(row.stream, {"envelope": row.envelope})
                await pipe.execute()
            self._publish_seconds.observe(time.perf_counter() - started)
        except Exception as error:
            for span in spans:
                span.record_exception(error)
                tracing.mark_failed(span, str(error))
                span.end()
            await self._release(rows, str(error))
            raise
        for span in spans:
            span.end()
        await self._mark_sent(rows)
        for stream, count in Counter(row.stream for row in rows).items():
            self._published_of(stream).inc(count)
        return len(rows)

    def _published_of(self, stream: str) -> Any:
        counter = self._published.get(stream)
        if counter is None:
            kind = event_type_of(stream, self._settings.namespace)
            counter = self._published[stream] = EVENTS_PUBLISHED.labels(self._producer, kind)
        return counter

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
        """Drop rows sent longer ago than the retention, trim the service's streams; report the
        unsent backlog."""
        table = self._outbox
        cutoff = datetime.now(UTC) - timedelta(seconds=self._settings.retention_s)
        async with self._sessions.begin() as session:
            await session.execute(
                delete(table).where(table.c.status == OUTBOX_SENT, table.c.sent_at < cutoff)
            )
            kept = set((await session.execute(select(table.c.stream).distinct())).scalars())
        await self.trim_streams(kept | set(self._published))
        return await self.measure()

    async def trim_streams(self, streams: set[str]) -> dict[str, int]:
        """Trim each stream to what its groups still need, keeping `stream_retention_s` (see the
        module's text); returns the entries removed per stream."""
        if self._settings.stream_retention_s is None or not streams:
            return {}
        ordered = sorted(streams)
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream in ordered:
                pipe.xinfo_groups(stream)
            infos = await pipe.execute(raise_on_error=False)
        floor_ms = int((time.time() - self._settings.stream_retention_s) * 1000)
        points: dict[str, str] = {}
        pending: list[tuple[str, str]] = []
        for stream, groups in zip(ordered, infos, strict=True):
            if isinstance(groups, Exception):
                continue  # no such stream (yet, or Redis came back empty)
            keep = f"{floor_ms}-0"
            for group in groups:
                # what a group has not read yet, and (below) the oldest entry it has not acknowledged
                keep = _older(keep, _text(group["last-delivered-id"]))
                if int(group.get("pending") or 0):
                    pending.append((stream, _text(group["name"])))
            points[stream] = keep
        if pending:
            async with self._redis.pipeline(transaction=False) as pipe:
                for stream, group in pending:
                    pipe.xpending(stream, group)
                summaries = await pipe.execute()
            for (stream, _), summary in zip(pending, summaries, strict=True):
                oldest = summary.get("min")
                if oldest:
                    points[stream] = _older(points[stream], _text(oldest))
        trimmed: dict[str, int] = {}
        if points:
            async with self._redis.pipeline(transaction=False) as pipe:
                for stream, point in points.items():
                    pipe.xtrim(stream, minid=point, approximate=False)
                removed = await pipe.execute()
            trimmed = {stream: int(n) for stream, n in zip(points, removed, strict=True) if n}
            for stream, count in trimmed.items():
                STREAM_TRIMMED.labels(self._producer, event_type_of(stream, self._settings.namespace)).inc(
                    count
                )
        return trimmed

    async def measure(self) -> int:
        """Set the outbox gauges (rows not yet published, the age of the oldest); returns the backlog."""
        table = self._outbox
        unsent = table.c.status.in_((OUTBOX_PENDING, OUTBOX_IN_PROGRESS))
        async with self._sessions() as session:
            backlog, oldest = (
                await session.execute(select(func.count(), func.min(table.c.created_at)).where(unsent))
            ).one()
        OUTBOX_BACKLOG.labels(self._producer).set(backlog or 0)
        age = (datetime.now(UTC) - _aware(oldest)).total_seconds() if oldest is not None else 0.0
        OUTBOX_OLDEST_AGE.labels(self._producer).set(max(age, 0.0))
        return int(backlog or 0)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _older(first: str, second: str) -> str:
    """The older of two stream entry ids."""
    a, b = (tuple(int(part) for part in id_.split("-", 1)) for id_ in (first, second))
    return first if a <= b else second


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
