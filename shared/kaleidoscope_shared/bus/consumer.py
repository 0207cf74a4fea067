"""The consuming side of the bus: one consumer group per service, idempotent, never silently stopped.

Per batch read with XREADGROUP, the handlers' effects and one inbox row per event are committed in one
transaction, and only then are the messages acknowledged. A duplicate (an event_id already in the
inbox) is acknowledged and skipped. A message whose handler fails stays pending, its failure counted
and its error kept; the reclaim loop of any live replica takes idle pending messages over (XAUTOCLAIM)
and tries again. After `max_deliveries` handler failures the message moves, with its last error, to
the group's dead-letter stream; a message delivered `max_crashes` times with no outcome recorded (the
consumer died each time) goes there too, so a message that kills the process cannot loop forever,
while a few external kills never dead-letter a healthy event. A malformed or unknown event goes to
dead letters at once.

What is not the event's fault is never counted against it: while the service's database does not
answer, the consumer holds its batch, waits for the database (reading nothing new, reclaiming
nothing) and then applies the same batch again. Messages being worked on have their idle time
refreshed (XCLAIM JUSTID), so a slow batch is never reclaimed by another replica, nor by the consumer
itself. Consumers gone for longer than `forget_consumers_after_ms` with nothing pending are removed
from the group. When Redis comes back empty, the groups are created again; when it is down, the loops
wait and retry.

The inbox does not grow without bound: once a minute the reclaim loop deletes the group's inbox rows
older than `inbox_retention_s` (7 days by default). The window must be longer than any redelivery of an
event already applied: a relay's replay after Redis lost data (at most the producer's
`outbox_retention_s`, an hour by default) and the reclaim of a message that was applied but not
acknowledged when its consumer died (at once while any replica of the group runs). A group stopped
for longer than the window with such a message pending would apply it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ..contracts import Envelope, Event, UnknownEvent, parse_payload
from ..db import SessionFactory, is_database_unavailable
from ..observability import tracing
from ..observability.logging import get_logger
from ..observability.metrics import (
    CONSUMER_LAG,
    DEAD_LETTER_REASONS,
    DEAD_LETTERS,
    DEPENDENCY_UNAVAILABLE,
    EVENTS_CONSUMED,
    EVENTS_RETRIED,
    HANDLER_LATENCY,
    INBOX_PRUNED,
    PENDING,
    event_type_of,
)
from .outbox import Outbox
from .stopping import sleep_or_stop
from .tables import BusTables

log = get_logger(__name__)


@dataclass
class EventContext:
    """What a handler gets besides its event: the open transaction and a way to emit more events."""

    session: AsyncSession
    envelope: Envelope
    outbox: Outbox

    async def emit(self, event: Event, *, contest_id: Any = None) -> Envelope:
        """Stage an event caused by this one, in the same transaction as the handler's effects."""
        return await self.outbox.add(
            self.session, event, contest_id=contest_id or self.envelope.contest_id, causation=self.envelope
        )


Handler = Callable[[EventContext, Any], Awaitable[None]]


class RetryLater(Exception):
    """Raised by a handler that cannot apply an event yet (e.g. it refers to something not yet seen).

    The message stays pending, is tried again after the reclaim idle time, and goes to dead letters
    with this reason after `max_deliveries` tries (it counts as a handler failure).
    """


@dataclass(frozen=True)
class ConsumerSettings:
    group: str
    consumer: str
    namespace: str
    batch_size: int = 100
    block_ms: int = 1000
    reclaim_idle_ms: int = 15_000
    reclaim_interval_s: float = 2.0
    max_deliveries: int = 5
    """Handler failures (errors of the handler itself, recorded) before a message is dead-lettered."""
    max_crashes: int = 30
    """Deliveries that ended with no outcome recorded (the consumer was killed or died) before a
    message is dead-lettered: larger, so that external kills never dead-letter a healthy event."""
    forget_consumers_after_ms: int = 3_600_000
    """A consumer of the group idle this long with nothing pending is removed from the group."""
    measure_interval_s: float = 5.0
    """How often the reclaim loop sets the pending and lag gauges (0: on every round)."""
    inbox_retention_s: float | None = 7 * 86400.0
    """How long the inbox keeps an applied event's id to drop its duplicates (None: for ever)."""
    prune_interval_s: float = 60.0


@dataclass
class Delivery:
    stream: str
    message_id: bytes
    raw: bytes
    envelope: Envelope | None = None
    event: Event | None = None
    problem: str | None = None
    reason: str = ""
    outcome: str = field(default="")


def dead_letter_stream(namespace: str, group: str) -> str:
    return f"{namespace}.dead-letters.{group}"


class StreamConsumer:
    def __init__(
        self,
        redis: Redis,
        sessions: SessionFactory,
        tables: BusTables,
        outbox: Outbox,
        handlers: dict[type[Event], Handler],
        settings: ConsumerSettings,
        *,
        on_applied: Callable[[], None] | None = None,
    ) -> None:
        """`on_applied` is called after each commit that applied new events (to wake a loop that
        sends what the handlers recorded, say)."""
        self._redis = redis
        self._sessions = sessions
        self._inbox = tables.inbox
        self._outbox = outbox
        self._handlers = dict(handlers)
        self.settings = settings
        self.streams = [event.stream(settings.namespace) for event in handlers]
        self._handler_by_stream = {event.stream(settings.namespace): event for event in handlers}
        self._type_of = {stream: event.event_type for stream, event in self._handler_by_stream.items()}
        for kind in self._type_of.values():  # every series at 0 from the start: alerts see the first
            for reason in DEAD_LETTER_REASONS:
                DEAD_LETTERS.labels(settings.group, kind, reason)
        self.dead_letters = dead_letter_stream(settings.namespace, settings.group)
        self._errors_key = f"{settings.namespace}.errors.{settings.group}"
        self._failures_key = f"{settings.namespace}.failures.{settings.group}"
        self._stop = asyncio.Event()  # set by `run`'s caller; never set when batches are handed in
        self._in_flight: dict[str, set[bytes]] = {}
        self._database_down = False
        self._last_forget = 0.0
        self._last_prune = 0.0
        self._last_measure = -1e9
        self._on_applied = on_applied

    # --- groups and the main loop ------------------------------------------------------------------

    async def ensure_groups(self) -> None:
        """Create the group on every stream from its start (`0`), the stream too if missing."""
        for stream in self.streams:
            try:
                await self._redis.xgroup_create(stream, self.settings.group, id="0", mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set. Redis and database outages and vanished groups are recovered,
        never fatal. With tracing on, reading and reclaiming are not traced: only applied events are."""
        with tracing.quiet():
            await self._run(stop)

    async def _run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        helpers = [
            asyncio.create_task(self._reclaim_loop(stop)),
            asyncio.create_task(self._heartbeat_loop(stop)),
        ]
        try:
            await self._until_ok(self.ensure_groups, stop)
            while not stop.is_set():
                await self._guarded(self._read_and_handle, stop)
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)

    async def _read_and_handle(self) -> None:
        response: Any = await self._redis.xreadgroup(
            self.settings.group,
            self.settings.consumer,
            dict.fromkeys(self.streams, ">"),
            count=self.settings.batch_size,
            block=self.settings.block_ms,
        )
        messages = [
            (stream.decode(), message_id, fields)
            for stream, entries in response or []
            for message_id, fields in entries
        ]
        if messages:
            await self.handle_messages(messages)

    async def _guarded(self, step: Callable[[], Awaitable[object]], stop: asyncio.Event) -> bool:
        """Run one step; on a lost group recreate it, on an outage wait. Returns whether it succeeded."""
        try:
            await step()
            return True
        except ResponseError as error:
            if "NOGROUP" in str(error):
                log.warning("consumer.group_missing", group=self.settings.group)
                await self._until_ok(self.ensure_groups, stop)
            else:
                log.exception("consumer.redis_error")
                await sleep_or_stop(stop, 0.5)
        except RedisError as error:
            log.warning("consumer.redis_unavailable", error=str(error))
            DEPENDENCY_UNAVAILABLE.labels("redis", "consumer").inc()
            await sleep_or_stop(stop, 0.25)
        except Exception as error:
            if await self._is_outage(error):
                await self._wait_for_database(error)
            else:
                log.exception("consumer.step_failed")
                await sleep_or_stop(stop, 0.5)
        return False

    async def _until_ok(self, step: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
        delay = 0.1
        while not stop.is_set():
            try:
                await step()
                return
            except RedisError as error:
                log.warning("consumer.waiting_for_redis", error=str(error))
                await sleep_or_stop(stop, delay)
                delay = min(delay * 2, 2.0)

    # --- applying messages -------------------------------------------------------------------------

    async def handle_messages(self, messages: Sequence[tuple[str, bytes, dict[bytes, bytes] | None]]) -> None:
        """Apply a batch of stream messages exactly once each, then acknowledge them."""
        deliveries = [self._decode(stream, message_id, fields) for stream, message_id, fields in messages]
        for delivery in deliveries:
            if delivery.problem is not None:
                await self._dead_letter(delivery, delivery.reason, delivery.problem, deliveries=1)
        good = [d for d in deliveries if d.problem is None]
        if not good:
            return
        self._track(good)
        try:
            started = time.perf_counter()
            while True:
                try:
                    await self._apply(good)
                    break
                except Exception as error:
                    if await self._is_outage(error):
                        if await self._wait_for_database(error):
                            continue  # the same batch, again: nothing was counted against it
                        return  # stopping: the batch stays pending for a replica to reclaim
                    for delivery in good:  # find the failing one(s); the others still apply
                        if not await self._apply_alone(delivery):
                            return
                    break
            HANDLER_LATENCY.labels(self.settings.group).observe(time.perf_counter() - started)
            await self._acknowledge([d for d in good if d.outcome in ("applied", "duplicate")])
        finally:
            self._untrack(good)

    def _track(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            self._in_flight.setdefault(delivery.stream, set()).add(delivery.message_id)

    def _untrack(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            self._in_flight.get(delivery.stream, set()).discard(delivery.message_id)

    def _decode(self, stream: str, message_id: bytes, fields: dict[bytes, bytes] | None) -> Delivery:
        raw = (fields or {}).get(b"envelope", b"")
        delivery = Delivery(stream=stream, message_id=message_id, raw=raw)
        try:
            delivery.envelope = Envelope.model_validate_json(raw)
            delivery.event = parse_payload(delivery.envelope)
        except UnknownEvent as error:
            delivery.problem, delivery.reason = str(error), "unknown-event"
        except (ValidationError, ValueError) as error:
            delivery.problem, delivery.reason = f"malformed event: {error}", "malformed"
        else:
            if type(delivery.event) not in self._handlers:
                delivery.problem = f"group {self.settings.group} has no handler for {delivery.envelope.type}"
                delivery.reason = "unknown-event"
        return delivery

    async def _apply(self, deliveries: list[Delivery]) -> None:
        group = self.settings.group
        for delivery in deliveries:
            delivery.outcome = ""
        async with self._sessions() as session, session.begin():
            ids = [str(d.envelope.event_id) for d in deliveries if d.envelope]
            seen = set(
                (
                    await session.execute(
                        select(self._inbox.c.event_id).where(
                            self._inbox.c.consumer_group == group, self._inbox.c.event_id.in_(ids)
                        )
                    )
                ).scalars()
            )
            fresh: list[Delivery] = []
            for delivery in deliveries:
                event_id = str(delivery.envelope.event_id) if delivery.envelope else ""
                if event_id in seen:
                    delivery.outcome = "duplicate"
                    continue
                seen.add(event_id)
                fresh.append(delivery)
                await self._call_handler(session, delivery)
            if fresh:
                now = datetime.now(UTC)
                await session.execute(
                    self._inbox.insert(),
                    [
                        {
                            "consumer_group": group,
                            "event_id": str(d.envelope.event_id),
                            "event_type": d.envelope.type,
                            "processed_at": now,
                        }
                        for d in fresh
                        if d.envelope
                    ],
                )
        for delivery in fresh:
            delivery.outcome = "applied"
        self._count(deliveries)
        if fresh and self._on_applied is not None:
            self._on_applied()

    async def _apply_alone(self, delivery: Delivery) -> bool:
        """Apply one delivery, recording its handler's failure. False when stopping during a wait
        for the database (the delivery then stays pending, uncounted)."""
        while True:
            try:
                await self._apply([delivery])
                return True
            except Exception as error:
                if await self._is_outage(error):
                    if await self._wait_for_database(error):
                        continue
                    return False
                failure = error
                break
        try:
            applied_elsewhere = await self._already_applied(delivery)
        except Exception as error:
            if not await self._is_outage(error):
                raise
            return await self._wait_for_database(error) and await self._apply_alone(delivery)
        if applied_elsewhere:  # another replica won the race
            delivery.outcome = "duplicate"
            self._count([delivery])
            return True
        delivery.outcome = "failed"
        self._count([delivery])
        log.warning(
            "consumer.handler_failed",
            event_id=str(delivery.envelope.event_id) if delivery.envelope else None,
            stream=delivery.stream,
            error=repr(failure),
        )
        await self._remember_error(delivery, repr(failure))
        return True

    async def _call_handler(self, session: AsyncSession, delivery: Delivery) -> None:
        assert delivery.envelope is not None and delivery.event is not None
        handler = self._handlers[type(delivery.event)]
        with (
            structlog.contextvars.bound_contextvars(
                event_id=str(delivery.envelope.event_id),
                correlation_id=str(delivery.envelope.correlation_id),
            ),
            tracing.consume_span(delivery.envelope, delivery.stream, self.settings.group) as span,
        ):
            await handler(EventContext(session, delivery.envelope, self._outbox), delivery.event)
            tracing.remember_event(self.settings.group, delivery.envelope.event_id, span)

    async def _already_applied(self, delivery: Delivery) -> bool:
        if delivery.envelope is None:
            return False
        async with self._sessions() as session:
            found = await session.scalar(
                select(self._inbox.c.event_id).where(
                    self._inbox.c.consumer_group == self.settings.group,
                    self._inbox.c.event_id == str(delivery.envelope.event_id),
                )
            )
        return found is not None

    def _count(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            if delivery.outcome:
                EVENTS_CONSUMED.labels(
                    self.settings.group, self._type(delivery.stream), delivery.outcome
                ).inc()

    async def _acknowledge(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        by_stream: dict[str, list[bytes]] = {}
        for delivery in deliveries:
            by_stream.setdefault(delivery.stream, []).append(delivery.message_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream, message_ids in by_stream.items():
                pipe.xack(stream, self.settings.group, *message_ids)
            await pipe.execute()

    async def _remember_error(self, delivery: Delivery, error: str) -> None:
        """Count a handler failure against the message and keep its error for the dead letter."""
        field = _error_field(delivery)
        with contextlib.suppress(RedisError):  # if lost, the delivery counts as a crash instead
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self._errors_key, field, error[:4000])
                pipe.hincrby(self._failures_key, field, 1)
                await pipe.execute()

    # --- outages and in-flight messages ------------------------------------------------------------

    async def _is_outage(self, error: BaseException) -> bool:
        """Whether `error` is the database's unavailability, not the handler's failure. A bare OSError
        (no database driver in its causes) could be a handler's own (a full disk, say): it counts as
        an outage only if the database does not answer now."""
        if not is_database_unavailable(error):
            return False
        if _from_database_driver(error):
            return True
        return not await self._database_answers()

    async def _wait_for_database(self, error: BaseException) -> bool:
        """Hold everything until the database answers again. False if stopped first."""
        if not self._database_down:
            self._database_down = True
            DEPENDENCY_UNAVAILABLE.labels("database", "consumer").inc()
            log.warning("consumer.database_unavailable", group=self.settings.group, error=str(error)[:500])
        delay = 0.25
        while not self._stop.is_set():
            await sleep_or_stop(self._stop, delay)
            if await self._database_answers():
                if self._database_down:
                    self._database_down = False
                    log.info("consumer.database_back", group=self.settings.group)
                return True
            delay = min(delay * 2, 5.0)
        return False

    async def _database_answers(self) -> bool:
        try:
            async with self._sessions() as session:
                await session.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def _heartbeat_loop(self, stop: asyncio.Event) -> None:
        """Keep the idle time of messages being worked on low, so no consumer reclaims them."""
        interval = max(self.settings.reclaim_idle_ms / 3000, 0.05)
        while not stop.is_set():
            await sleep_or_stop(stop, interval)
            with contextlib.suppress(RedisError):
                await self.refresh_in_flight()

    async def refresh_in_flight(self) -> None:
        for stream, message_ids in list(self._in_flight.items()):
            if message_ids:
                await self._redis.xclaim(
                    stream,
                    self.settings.group,
                    self.settings.consumer,
                    min_idle_time=0,
                    message_ids=list(message_ids),
                    justid=True,  # resets the idle time without counting a delivery
                )

    # --- reclaim and dead letters ------------------------------------------------------------------

    async def _reclaim_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await sleep_or_stop(stop, self.settings.reclaim_interval_s)
            if not stop.is_set() and not self._database_down:  # reclaiming now would only count
                await self._guarded(self.reclaim_once, stop)

    async def reclaim_once(self) -> int:
        """Dead-letter exhausted messages, then take over and apply idle ones. Returns how many.

        One round trip finds the streams holding messages idle past the reclaim time; only those are
        looked at further, so a quiet group costs one pipelined request per round."""
        handled = 0
        for stream in await self._streams_with_idle_messages():
            await self._dead_letter_exhausted(stream)
            handled += await self._claim_idle(stream)
        if time.monotonic() - self._last_measure >= self.settings.measure_interval_s:
            await self.measure()
            self._last_measure = time.monotonic()
        if time.monotonic() - self._last_forget > min(60.0, self.settings.forget_consumers_after_ms / 1000):
            for stream in self.streams:
                await self.forget_gone_consumers(stream)
            self._last_forget = time.monotonic()
        if time.monotonic() - self._last_prune >= self.settings.prune_interval_s:
            await self.prune_inbox()
            self._last_prune = time.monotonic()
        return handled

    async def prune_inbox(self) -> int:
        """Delete the group's inbox rows older than `inbox_retention_s`; returns how many."""
        if self.settings.inbox_retention_s is None:
            return 0
        cutoff = datetime.now(UTC) - timedelta(seconds=self.settings.inbox_retention_s)
        inbox = self._inbox
        async with self._sessions.begin() as session:
            result: Any = await session.execute(
                delete(inbox).where(
                    inbox.c.consumer_group == self.settings.group, inbox.c.processed_at < cutoff
                )
            )
        pruned = int(result.rowcount or 0)
        if pruned:
            INBOX_PRUNED.labels(self.settings.group).inc(pruned)
            log.info("consumer.inbox_pruned", group=self.settings.group, rows=pruned)
        return pruned

    async def _streams_with_idle_messages(self) -> list[str]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream in self.streams:
                pipe.xpending_range(
                    stream, self.settings.group, min="-", max="+", count=1, idle=self.settings.reclaim_idle_ms
                )
            idle: list[Any] = await pipe.execute()
        return [stream for stream, entries in zip(self.streams, idle, strict=True) if entries]

    async def measure(self) -> None:
        """Set the group's pending and lag gauges for every stream it reads (one round trip)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream in self.streams:
                pipe.xpending(stream, self.settings.group)
                pipe.xinfo_groups(stream)
            replies: list[Any] = await pipe.execute()
        for index, stream in enumerate(self.streams):
            summary, groups = replies[2 * index], replies[2 * index + 1]
            PENDING.labels(self.settings.group, self._type(stream)).set(summary["pending"])
            for group in groups:
                if _text(group["name"]) == self.settings.group and group.get("lag") is not None:
                    CONSUMER_LAG.labels(self.settings.group, self._type(stream)).set(int(group["lag"]))

    def _type(self, stream: str) -> str:
        return self._type_of.get(stream) or event_type_of(stream, self.settings.namespace)

    async def forget_gone_consumers(self, stream: str) -> list[str]:
        """Remove consumers idle longer than `forget_consumers_after_ms` that hold nothing pending."""
        consumers: Any = await self._redis.xinfo_consumers(stream, self.settings.group)
        gone = [
            c["name"]
            for c in consumers
            if int(c["pending"]) == 0
            and int(c["idle"]) > self.settings.forget_consumers_after_ms
            and _text(c["name"]) != self.settings.consumer
        ]
        for name in gone:
            await self._redis.xgroup_delconsumer(stream, self.settings.group, name)
        if gone:
            log.info("consumer.forgot_consumers", stream=stream, consumers=[_text(n) for n in gone])
        return [_text(n) for n in gone]

    async def _dead_letter_exhausted(self, stream: str) -> None:
        pending: Any = await self._redis.xpending_range(
            stream,
            self.settings.group,
            min="-",
            max="+",
            count=self.settings.batch_size,
            idle=self.settings.reclaim_idle_ms,
        )
        least = min(self.settings.max_deliveries, self.settings.max_crashes)
        candidates = [p for p in pending if p["times_delivered"] >= least]
        if not candidates:
            return
        counted: list[Any] = await self._redis.hmget(
            self._failures_key, [f"{stream}|{_text(p['message_id'])}" for p in candidates]
        )
        for entry, failed_text in zip(candidates, counted, strict=True):
            failed = int(failed_text or 0)
            crashed = entry["times_delivered"] - failed
            if failed >= self.settings.max_deliveries:
                reason = "max-deliveries"
            elif crashed >= self.settings.max_crashes:
                reason = "max-crashes"
            else:
                continue
            claimed: Any = await self._redis.xclaim(
                stream,
                self.settings.group,
                self.settings.consumer,
                min_idle_time=self.settings.reclaim_idle_ms,
                message_ids=[entry["message_id"]],
            )
            for message_id, fields in claimed:  # empty if another replica took it first
                delivery = Delivery(stream, message_id, (fields or {}).get(b"envelope", b""))
                error: Any = await self._redis.hget(self._errors_key, _error_field(delivery))
                if reason == "max-crashes":
                    explained = (
                        f"delivered {entry['times_delivered']} times, {crashed} of them ending with no "
                        f"outcome (the consumer died or was killed while applying it); "
                        f"{failed} handler failures recorded"
                    )
                    if error:
                        explained += f"; last handler error: {error.decode()}"
                else:
                    explained = error.decode() if error else "unknown error"
                await self._dead_letter(delivery, reason, explained, deliveries=entry["times_delivered"])

    async def _claim_idle(self, stream: str) -> int:
        reply: Any = await self._redis.xautoclaim(
            stream,
            self.settings.group,
            self.settings.consumer,
            min_idle_time=self.settings.reclaim_idle_ms,
            start_id="0-0",
            count=self.settings.batch_size,
        )
        claimed = reply[1]
        live = [(stream, message_id, fields) for message_id, fields in claimed if fields]
        gone = [message_id for message_id, fields in claimed if not fields]
        if gone:  # deleted from the stream while pending: nothing to apply
            await self._redis.xack(stream, self.settings.group, *gone)
        if live:
            log.info("consumer.reclaimed", stream=stream, count=len(live))
            EVENTS_RETRIED.labels(self.settings.group, self._type(stream)).inc(len(live))
            await self.handle_messages(live)
        return len(live)

    async def _dead_letter(self, delivery: Delivery, reason: str, error: str, *, deliveries: int) -> None:
        record = {
            "stream": delivery.stream,
            "message_id": delivery.message_id,
            "group": self.settings.group,
            "envelope": delivery.raw,
            "reason": reason,
            "error": error[:4000],
            "deliveries": str(deliveries),
            "dead_at": datetime.now(UTC).isoformat(),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.dead_letters, record)  # type: ignore[arg-type]
            pipe.xack(delivery.stream, self.settings.group, delivery.message_id)
            pipe.hdel(self._errors_key, _error_field(delivery))
            pipe.hdel(self._failures_key, _error_field(delivery))
            await pipe.execute()
        DEAD_LETTERS.labels(self.settings.group, self._type(delivery.stream), reason).inc()
        EVENTS_CONSUMED.labels(self.settings.group, self._type(delivery.stream), "dead_lettered").inc()
        log.error(
            "consumer.dead_lettered",
            stream=delivery.stream,
            message_id=delivery.message_id.decode(),
            reason=reason,
            error=error[:500],
            deliveries=deliveries,
        )


def _error_field(delivery: Delivery) -> str:
    return f"{delivery.stream}|{delivery.message_id.decode()}"


def _from_database_driver(error: BaseException) -> bool:
    current: BaseException | None = error
    for _ in range(10):
        if current is None:
            return False
        module = type(current).__module__
        if module.startswith(("sqlalchemy", "asyncpg", "sqlite3", "aiosqlite")):
            return True
        current = current.__cause__ or current.__context__
    return False


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
