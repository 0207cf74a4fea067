"""The consuming side of the bus: one consumer group per service, idempotent, never silently stopped.

Per batch read with XREADGROUP, the handlers' effects and one inbox row per event are committed in one
transaction, and only then are the messages acknowledged. A duplicate (an event_id already in the
inbox) is acknowledged and skipped. A message whose handler fails stays pending; the reclaim loop of
any live replica takes idle pending messages over (XAUTOCLAIM) and tries again, and after
`max_deliveries` tries moves the message, with its last error, to the group's dead-letter stream.
A malformed or unknown event goes to dead letters at once. When Redis comes back empty, the groups
are created again; when it is down, the loops wait and retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..contracts import Envelope, Event, UnknownEvent, parse_payload
from ..db import SessionFactory
from ..observability.logging import get_logger
from ..observability.metrics import DEAD_LETTERS, EVENTS_CONSUMED, HANDLER_LATENCY, PENDING
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
    with this reason after `max_deliveries` tries.
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
    ) -> None:
        self._redis = redis
        self._sessions = sessions
        self._inbox = tables.inbox
        self._outbox = outbox
        self._handlers = dict(handlers)
        self.settings = settings
        self.streams = [event.stream(settings.namespace) for event in handlers]
        self._handler_by_stream = {event.stream(settings.namespace): event for event in handlers}
        self.dead_letters = dead_letter_stream(settings.namespace, settings.group)
        self._errors_key = f"{settings.namespace}.errors.{settings.group}"

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
        """Consume until `stop` is set. Redis outages and vanished groups are recovered, never fatal."""
        reclaimer = asyncio.create_task(self._reclaim_loop(stop))
        try:
            await self._until_ok(self.ensure_groups, stop)
            while not stop.is_set():
                await self._guarded(self._read_and_handle, stop)
        finally:
            reclaimer.cancel()
            await asyncio.gather(reclaimer, return_exceptions=True)

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
        except (RedisError, OSError) as error:
            log.warning("consumer.redis_unavailable", error=str(error))
            await sleep_or_stop(stop, 0.25)
        except Exception:
            log.exception("consumer.step_failed")
            await sleep_or_stop(stop, 0.5)
        return False

    async def _until_ok(self, step: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
        delay = 0.1
        while not stop.is_set():
            try:
                await step()
                return
            except (RedisError, OSError) as error:
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
        started = time.perf_counter()
        try:
            await self._apply(good)
        except Exception:
            for delivery in good:  # find the failing one(s); the others still apply
                await self._apply_alone(delivery)
        HANDLER_LATENCY.labels(self.settings.group).observe(time.perf_counter() - started)
        await self._acknowledge([d for d in good if d.outcome in ("applied", "duplicate")])

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

    async def _apply_alone(self, delivery: Delivery) -> None:
        delivery.outcome = ""
        try:
            await self._apply([delivery])
        except Exception as error:
            if await self._already_applied(delivery):  # another replica won the race
                delivery.outcome = "duplicate"
                self._count([delivery])
                return
            delivery.outcome = "failed"
            self._count([delivery])
            log.warning(
                "consumer.handler_failed",
                event_id=str(delivery.envelope.event_id) if delivery.envelope else None,
                stream=delivery.stream,
                error=repr(error),
            )
            await self._remember_error(delivery, repr(error))

    async def _call_handler(self, session: AsyncSession, delivery: Delivery) -> None:
        assert delivery.envelope is not None and delivery.event is not None
        handler = self._handlers[type(delivery.event)]
        with structlog.contextvars.bound_contextvars(
            event_id=str(delivery.envelope.event_id),
            correlation_id=str(delivery.envelope.correlation_id),
        ):
            await handler(EventContext(session, delivery.envelope, self._outbox), delivery.event)

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
                EVENTS_CONSUMED.labels(self.settings.group, delivery.stream, delivery.outcome).inc()

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
        with contextlib.suppress(RedisError):  # if lost, the dead letter says the error is unknown
            await self._redis.hset(self._errors_key, _error_field(delivery), error[:4000])

    # --- reclaim and dead letters ------------------------------------------------------------------

    async def _reclaim_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await sleep_or_stop(stop, self.settings.reclaim_interval_s)
            if not stop.is_set():
                await self._guarded(self.reclaim_once, stop)

    async def reclaim_once(self) -> int:
        """Dead-letter exhausted messages, then take over and apply idle ones. Returns how many."""
        handled = 0
        for stream in self.streams:
            await self._dead_letter_exhausted(stream)
            handled += await self._claim_idle(stream)
            summary = await self._redis.xpending(stream, self.settings.group)
            PENDING.labels(self.settings.group, stream).set(summary["pending"])
        return handled

    async def _dead_letter_exhausted(self, stream: str) -> None:
        pending: Any = await self._redis.xpending_range(
            stream,
            self.settings.group,
            min="-",
            max="+",
            count=self.settings.batch_size,
            idle=self.settings.reclaim_idle_ms,
        )
        exhausted = [p for p in pending if p["times_delivered"] >= self.settings.max_deliveries]
        for entry in exhausted:
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
                await self._dead_letter(
                    delivery,
                    "max-deliveries",
                    error.decode() if error else "unknown error (the consumer may have died)",
                    deliveries=entry["times_delivered"],
                )

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
            await pipe.execute()
        DEAD_LETTERS.labels(self.settings.group, delivery.stream, reason).inc()
        EVENTS_CONSUMED.labels(self.settings.group, delivery.stream, "dead_lettered").inc()
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
