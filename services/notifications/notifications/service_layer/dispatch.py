"""Sending due deliveries through their channels, outside the consumer's transaction.

Several dispatchers (one per worker replica) may run: each claims a batch of due rows with a lease
(a conditional UPDATE; `FOR UPDATE SKIP LOCKED` on PostgreSQL), sends them, and records each outcome
only if it still holds the claim. A dispatcher that dies mid-batch leaves its rows claimed until the
lease runs out; they are then sent again with the same delivery id (the same Message-ID / webhook-id),
so the receiver can recognise the resend. Outcomes are recorded with their events in one transaction:
NotificationDelivered for a sent message, NotificationFailed for one that is dead.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update

from kaleidoscope_shared.bus.outbox import Outbox
from kaleidoscope_shared.bus.stopping import sleep_or_stop
from kaleidoscope_shared.contracts import Event, NotificationDelivered, NotificationFailed
from kaleidoscope_shared.db import SessionFactory
from kaleidoscope_shared.observability.logging import get_logger

from ..adapters.tables import DELIVERIES, DeliveryValues
from ..channels import Channel, ChannelError
from ..domain import DeliveryState, DeliveryStatus, RetryPolicy, record_failure, record_success
from .messages import BatchMessages, MessageBuilder

log = get_logger(__name__)
T = DELIVERIES
DUE = ("pending", "failed")


@dataclass
class Dispatcher:
    sessions: SessionFactory
    outbox: Outbox
    channels: dict[str, Channel]
    messages: MessageBuilder
    name: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    batch_size: int = 100
    lease: timedelta = timedelta(seconds=60)
    concurrency: int = 8
    skip_locked: bool = False
    rng: random.Random = field(default_factory=random.Random)

    async def run(self, stop: asyncio.Event, interval_s: float) -> None:
        """Dispatch until `stop` is set; a database outage only pauses it."""
        while not stop.is_set():
            try:
                await self.drain(stop)
            except Exception:
                log.exception("dispatch.failed")
            await sleep_or_stop(stop, interval_s)

    async def drain(self, stop: asyncio.Event | None = None) -> int:
        """Send batch after batch until fewer than a full batch is due (or `stop` is set); returns
        how many deliveries were claimed.

        The next batch is claimed, and its PDFs started, while the current one is being sent: the PDF
        processes and the channels then never wait for a claim between batches. At most two batches
        are in flight, and they share the `concurrency` limit."""
        gate = asyncio.Semaphore(self.concurrency)
        claimed = 0
        in_flight: list[asyncio.Task[int]] = []
        try:
            while stop is None or not stop.is_set():
                rows = await self.claim()
                claimed += len(rows)
                if rows:
                    in_flight.append(asyncio.create_task(self._send_batch(rows, gate)))
                while len(in_flight) > (1 if rows else 0):
                    await in_flight.pop(0)
                if len(rows) < self.batch_size:
                    break
        finally:
            # if a batch failed, the others still finish (their claims are held): wait for them
            await asyncio.gather(*in_flight, return_exceptions=True)
        return claimed

    async def dispatch_once(self) -> int:
        """Claim one batch of due deliveries and send it; returns how many were claimed."""
        rows = await self.claim()
        return await self._send_batch(rows, asyncio.Semaphore(self.concurrency)) if rows else 0

    async def _send_batch(self, rows: list[DeliveryValues], gate: asyncio.Semaphore) -> int:
        """Send a claimed batch, `gate` limiting the sends in flight.

        Outcomes are recorded as the sends complete (each commit takes every outcome that arrived
        meanwhile), so a crash leaves only the messages of the last moments unrecorded, not a batch."""
        messages = await self.messages.prepare(rows)
        done: asyncio.Queue[tuple[DeliveryValues, str | ChannelError]] = asyncio.Queue()

        async def send_one(row: DeliveryValues) -> None:
            async with gate:
                await done.put((row, await self.send(row, messages)))

        senders = asyncio.gather(*(send_one(row) for row in rows))
        recorded = 0
        try:
            while recorded < len(rows):
                outcomes = [await done.get()]
                while not done.empty():
                    outcomes.append(done.get_nowait())
                await self._record(outcomes)
                recorded += len(outcomes)
        finally:
            await senders  # if recording failed, the lease runs out and the rest are sent again
        return len(rows)

    async def claim(self) -> list[DeliveryValues]:
        now = datetime.now(UTC)
        due = (
            select(T.c.id)
            .where(
                T.c.status.in_(DUE),
                or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now),
                or_(T.c.claimed_until.is_(None), T.c.claimed_until < now),
            )
            .order_by(T.c.created_at)
            .limit(self.batch_size)
        )
        if self.skip_locked:
            due = due.with_for_update(skip_locked=True)
        claim = (
            update(T)
            .where(T.c.id.in_(due.scalar_subquery()))
            .values(claimed_by=self.name, claimed_until=now + self.lease)
            .returning(*T.c)
        )
        async with self.sessions.begin() as session:
            result = await session.execute(claim)
            return [DeliveryValues(**r._mapping) for r in result]

    async def send(self, row: DeliveryValues, messages: BatchMessages) -> str | ChannelError:
        """The provider id of the sent message, or the error that stopped it."""
        channel = self.channels.get(row.channel)
        if channel is None:
            return ChannelError(f"channel {row.channel!r} is not available in this worker", permanent=False)
        try:
            message = await messages.build(row)
            return (await channel.send(message)).provider_id
        except ChannelError as error:
            return error
        except Exception as error:  # a plugin may fail in any way; the delivery is retried
            log.exception("dispatch.channel_crashed", channel=row.channel, delivery_id=str(row.id))
            return ChannelError(f"{type(error).__name__}: {error}", permanent=False)

    async def _record(self, outcomes: list[tuple[DeliveryValues, str | ChannelError]]) -> None:
        """Store the outcomes this dispatcher still holds the claim of, and their events, in one
        transaction: one query for the claims, one UPDATE executed for every row."""
        now = datetime.now(UTC)
        announcements: dict[uuid.UUID | None, list[Event]] = defaultdict(list)
        async with self.sessions.begin() as session:
            connection = await session.connection()
            held = set(
                (
                    await connection.execute(
                        _STILL_CLAIMED, {"ids": [row.id for row, _ in outcomes], "claimed_by": self.name}
                    )
                ).scalars()
            )
            updates = []
            for row, outcome in outcomes:
                if row.id not in held:
                    log.warning("dispatch.lease_lost", delivery_id=str(row.id))
                    continue
                values, event = self._outcome(row, outcome, now)
                updates.append(values)
                if event is not None:
                    announcements[row.contest_id].append(event)
            if updates:
                await connection.execute(_RECORD, updates)
            for contest_id, events in announcements.items():
                await self.outbox.add_all(session, events, contest_id=contest_id)

    def _outcome(
        self, row: DeliveryValues, outcome: str | ChannelError, now: datetime
    ) -> tuple[dict[str, Any], Event | None]:
        """The row's new values after one send, and the event that announces it, if any."""
        state = _state_of(row)
        if isinstance(outcome, ChannelError):
            state = record_failure(
                state, str(outcome), permanent=outcome.permanent, now=now, policy=self.policy, rng=self.rng
            )
        else:
            state = record_success(state, outcome)
        status = _status_of(state)
        values = {
            "row_id": row.id,
            "claimed_by_me": self.name,
            "status": status,
            "attempts": state.attempts,
            "next_attempt_at": state.next_attempt_at,
            "last_error": state.last_error,
            "provider_id": state.provider_id,
            "sent_at": now if status == "sent" else row.sent_at,
        }
        return values, _announcement(row, status, state, now)


# Which of a batch's rows this dispatcher still holds (its claim may have run out and been taken),
# locked on PostgreSQL until the outcomes are stored (SQLite has one writer: nothing to lock).
_STILL_CLAIMED = (
    select(T.c.id)
    .where(T.c.id.in_(bindparam("ids", expanding=True)), T.c.claimed_by == bindparam("claimed_by"))
    .with_for_update()
)
# One outcome, executed with the parameters of every row of a batch.
_RECORD = (
    update(T)
    .where(T.c.id == bindparam("row_id"), T.c.claimed_by == bindparam("claimed_by_me"))
    .values(
        status=bindparam("status"),
        attempts=bindparam("attempts"),
        next_attempt_at=bindparam("next_attempt_at"),
        last_error=bindparam("last_error"),
        provider_id=bindparam("provider_id"),
        sent_at=bindparam("sent_at"),
        claimed_by=None,
        claimed_until=None,
    )
)


def _announcement(
    row: DeliveryValues, status: str, state: DeliveryState, now: datetime
) -> NotificationDelivered | NotificationFailed | None:
    if status == "sent":
        event: NotificationDelivered | NotificationFailed = NotificationDelivered(
            delivery_id=row.id,
            source_event_id=row.event_id,
            recipient=row.recipient,
            channel=row.channel,
            provider_id=state.provider_id,
            delivered_at=now,
        )
    elif status == "dead":
        event = NotificationFailed(
            delivery_id=row.id,
            source_event_id=row.event_id,
            recipient=row.recipient,
            channel=row.channel,
            attempts=state.attempts,
            error=state.last_error or "",
            failed_at=now,
        )
        log.error("dispatch.dead", delivery_id=str(row.id), channel=row.channel, error=state.last_error)
    else:
        return None
    return event


def _state_of(row: DeliveryValues) -> DeliveryState:
    return DeliveryState(
        delivery_id=row.id,
        status=DeliveryStatus.PENDING,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        provider_id=row.provider_id,
    )


def _status_of(state: DeliveryState) -> str:
    """The row's status: `failed` is a pending delivery whose last attempt failed (a retry is due)."""
    if state.status is DeliveryStatus.PENDING and state.attempts:
        return "failed"
    return state.status.value
