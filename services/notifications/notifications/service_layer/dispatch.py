"""Sending due deliveries through their channels, outside the consumer's transaction.

Several dispatchers (one per worker replica) may run: each claims a batch of due rows with a lease
(a conditional UPDATE; `FOR UPDATE SKIP LOCKED` on PostgreSQL) and draws the batch's PDFs together.
Then, for each message:

1. the attempt is committed before the channel is called: the delivery becomes `sending`, its
   `attempts` and `last_attempt_at` move on, its lease is renewed, and a `delivery_attempts` row is
   written with no outcome yet;
2. the channel sends it;
3. the outcome is committed before the message's place among the `concurrency` sends in flight is
   given to another: the delivery becomes `sent`, `failed` (a retry is due) or `dead`, the attempt
   row gets its outcome, and NotificationDelivered / NotificationFailed goes to the outbox in the
   same transaction.

So a dispatcher that dies leaves at most `concurrency` messages whose outcome is unknown; they are
sent again once the lease runs out, with the same delivery id (the same Message-ID / webhook-id, the
receiver's key to drop the copy), and that resend is an attempt of its own in the log. Commits are
shared: every attempt or outcome that arrives while one transaction is being written goes into the
next one, so each message still waits for its own commit, but many sends in flight cost few
transactions.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kaleidoscope_shared.bus.outbox import Outbox
from kaleidoscope_shared.bus.stopping import sleep_until_woken
from kaleidoscope_shared.contracts import Event, NotificationDelivered, NotificationFailed
from kaleidoscope_shared.db import SessionFactory, is_database_unavailable
from kaleidoscope_shared.observability import tracing
from kaleidoscope_shared.observability.logging import get_logger
from kaleidoscope_shared.observability.metrics import DELIVERY_OUTCOMES

from ..adapters.tables import DELIVERIES, DELIVERY_ATTEMPTS, DeliveryValues
from ..channels import Channel, ChannelError, OutgoingMessage
from ..documents.fonts import UnsupportedCharacters
from ..domain import DeliveryState, DeliveryStatus, RetryPolicy, record_failure, record_success
from .messages import BatchMessages, MessageBuilder

log = get_logger(__name__)
T = DELIVERIES
A = DELIVERY_ATTEMPTS
DUE = ("pending", "failed", "sending")
"""`sending` is due again only once its lease has run out: its dispatcher stopped mid-send."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One committed try at sending a delivery."""

    attempt_id: uuid.UUID
    row: DeliveryValues
    number: int


@dataclass(frozen=True, slots=True)
class _Start:
    row: DeliveryValues


@dataclass(frozen=True, slots=True)
class _Finish:
    attempt: Attempt
    outcome: str | ChannelError


_Write = _Start | _Finish


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
    _queued: list[tuple[_Write, asyncio.Future[Attempt | None]]] = field(
        default_factory=list, init=False, repr=False
    )
    _writer: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    async def run(self, stop: asyncio.Event, interval_s: float, woken: asyncio.Event | None = None) -> None:
        """Dispatch until `stop` is set; a database outage only pauses it. Between rounds it waits
        `interval_s`, or until `woken` is set (this worker's consumer applied events: new deliveries)."""
        while not stop.is_set():
            if woken is not None:
                woken.clear()  # set again while draining: another round at once
            try:
                await self.drain(stop)
            except Exception as error:
                if is_database_unavailable(error):
                    log.warning("dispatch.database_unavailable", error=str(error)[:500])
                else:
                    log.exception("dispatch.failed")
            await sleep_until_woken(stop, woken, interval_s)

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
        """Send a claimed batch, `gate` limiting the messages between their attempt and their
        recorded outcome. Raises the first error (a database outage) once every send has ended."""
        messages = await self.messages.prepare(rows)

        async def send_one(row: DeliveryValues) -> None:
            async with gate:
                await self._attempt(row, messages)

        results = await asyncio.gather(*(send_one(row) for row in rows), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result  # the lease runs out and the unrecorded messages are sent again
        return len(rows)

    async def _attempt(self, row: DeliveryValues, messages: BatchMessages) -> None:
        """One message: built, its attempt committed, sent, its outcome committed."""
        try:
            message: OutgoingMessage | ChannelError = await messages.build(row)
        except Exception as error:  # a document that cannot be drawn: a failed attempt, retried
            # unless no font has a character of it: then the delivery is dead at once, the reason
            # recorded for the organiser (never a document with empty boxes in place of a name)
            log.exception("dispatch.message_failed", delivery_id=str(row.id))
            permanent = isinstance(error, UnsupportedCharacters)
            message = ChannelError(f"{type(error).__name__}: {error}", permanent=permanent)
        attempt = await self._write(_Start(row))
        if attempt is None:
            return  # the claim ran out and another dispatcher took it: it sends the message
        if isinstance(message, ChannelError):
            outcome: str | ChannelError = message
        else:
            # with tracing on, in the trace of the event the message is about (if handled here)
            with tracing.send_span(
                f"send {row.channel}",
                row.event_id,
                handled_by="notifications",  # the consumer group that wrote the delivery
                attributes={"kaleidoscope.delivery_id": str(row.id), "kaleidoscope.channel": row.channel},
            ) as span:
                outcome = await self.send(row, message)
                if isinstance(outcome, ChannelError):
                    tracing.mark_failed(span, str(outcome))
        await self._finish(attempt, outcome)

    async def _finish(self, attempt: Attempt, outcome: str | ChannelError) -> None:
        """Commit a sent message's outcome, waiting for the database if it went away meanwhile: the
        claim stays this dispatcher's, so the message is not sent again when the database is back."""
        delay, waited = 0.25, 0.0
        while True:
            try:
                await self._write(_Finish(attempt, outcome))
                return
            except Exception as error:
                if not is_database_unavailable(error) or waited > OUTCOME_PATIENCE_S:
                    raise
                if not waited:
                    log.warning("dispatch.outcome_waits_for_database", delivery_id=str(attempt.row.id))
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 5.0)

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

    async def send(self, row: DeliveryValues, message: OutgoingMessage) -> str | ChannelError:
        """The provider id of the sent message, or the error that stopped it."""
        channel = self.channels.get(row.channel)
        if channel is None:
            return ChannelError(f"channel {row.channel!r} is not available in this worker", permanent=False)
        try:
            return (await channel.send(message)).provider_id
        except ChannelError as error:
            return error
        except Exception as error:  # a plugin may fail in any way; the delivery is retried
            log.exception("dispatch.channel_crashed", channel=row.channel, delivery_id=str(row.id))
            return ChannelError(f"{type(error).__name__}: {error}", permanent=False)

    async def _write(self, write: _Write) -> Attempt | None:
        """Commit an attempt's start (returns the attempt, or None when the claim was lost) or its
        outcome; returns once it is committed. Writes that arrive while a transaction is being
        written go together into the next one."""
        done: asyncio.Future[Attempt | None] = asyncio.get_running_loop().create_future()
        self._queued.append((write, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        return await done

    async def _write_queued(self) -> None:
        while self._queued:
            await asyncio.sleep(0)  # the sends that are ready queue their writes too: one commit
            writes, self._queued = self._queued, []
            try:
                results = await self._commit([w for w, _ in writes])
            except Exception as error:
                for _, done in writes:
                    if not done.done():
                        done.set_exception(error)
                continue
            for (_, done), result in zip(writes, results, strict=True):
                if not done.done():
                    done.set_result(result)

    async def _commit(self, writes: list[_Write]) -> list[Attempt | None]:
        """Attempts started and outcomes, in one transaction: the deliveries this dispatcher still
        holds the claim of are updated (one statement each kind), every attempt row is written."""
        now = datetime.now(UTC)
        starts = [w.row for w in writes if isinstance(w, _Start)]
        finishes = [w for w in writes if isinstance(w, _Finish)]
        outcomes: list[dict[str, Any]] = []
        finished: list[dict[str, Any]] = []
        counted: list[tuple[str, str]] = []  # (channel, outcome) of each attempt that ended
        announcements: dict[uuid.UUID | None, list[Event]] = defaultdict(list)
        async with self.sessions.begin() as session:
            connection = await session.connection()
            attempts = await self._start(connection, starts, now) if starts else {}
            held: set[uuid.UUID] = set()
            if finishes:
                ids = [w.attempt.row.id for w in finishes]
                found = await connection.execute(_STILL_CLAIMED, {"ids": ids, "claimed_by": self.name})
                held = set(found.scalars())
            for write in finishes:
                row, outcome = write.attempt.row, write.outcome
                values, event = self._outcome(write.attempt, outcome, now)
                finished.append(
                    {
                        "attempt": write.attempt.attempt_id,
                        "finished_at": now,
                        "outcome": values["status"],
                        "error": str(outcome) if isinstance(outcome, ChannelError) else None,
                        "provider": values["provider_id"] if values["status"] == "sent" else None,
                    }
                )
                counted.append((row.channel, values["status"]))
                if row.id not in held:
                    log.warning("dispatch.lease_lost", delivery_id=str(row.id), after="send")
                    continue
                outcomes.append(values)
                if event is not None:
                    announcements[row.contest_id].append(event)
            if finished:
                await connection.execute(_FINISH, finished)
            if outcomes:
                await connection.execute(_RECORD, outcomes)
            for contest_id, events in announcements.items():
                await self.outbox.add_all(session, events, contest_id=contest_id)
        for channel, status in counted:  # committed: a retried commit is counted once
            DELIVERY_OUTCOMES.labels(channel, status).inc()
        return [attempts.get(w.row.id) if isinstance(w, _Start) else None for w in writes]

    async def _start(
        self, connection: AsyncConnection, rows: list[DeliveryValues], now: datetime
    ) -> dict[uuid.UUID, Attempt]:
        """Count an attempt for each row whose claim this dispatcher still holds (one UPDATE, which
        renews the lease for the time of the send) and write its attempt row."""
        counted = await connection.execute(
            _START,
            {"ids": [r.id for r in rows], "me": self.name, "now": now, "until": now + self.lease},
        )
        numbers: dict[uuid.UUID, int] = {r.id: r.attempts for r in counted}
        attempts: dict[uuid.UUID, Attempt] = {}
        for row in rows:
            if row.id not in numbers:
                log.warning("dispatch.lease_lost", delivery_id=str(row.id), after="claim")
                continue
            attempts[row.id] = Attempt(uuid.uuid4(), row, numbers[row.id])
        if attempts:
            await connection.execute(
                insert(A),
                [
                    {
                        "attempt_id": a.attempt_id,
                        "delivery_id": a.row.id,
                        "number": a.number,
                        "dispatcher": self.name,
                        "started_at": now,
                        "finished_at": None,
                        "outcome": None,
                        "error": None,
                        "provider_id": None,
                    }
                    for a in attempts.values()
                ],
            )
        return attempts

    def _outcome(
        self, attempt: Attempt, outcome: str | ChannelError, now: datetime
    ) -> tuple[dict[str, Any], Event | None]:
        """The row's new values after one attempt, and the event that announces it, if any."""
        row = attempt.row
        state = replace(_state_of(row), attempts=attempt.number - 1)  # record_* count the attempt
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


# Which of the rows this dispatcher still holds (its claim may have run out and been taken),
# locked on PostgreSQL until the transaction ends (SQLite has one writer: nothing to lock).
# How long a sent message's outcome waits for a database that went away before the dispatcher gives
# up on it (the message is then sent again once its lease has run out).
OUTCOME_PATIENCE_S = 600.0
_STILL_CLAIMED = (
    select(T.c.id)
    .where(T.c.id.in_(bindparam("ids", expanding=True)), T.c.claimed_by == bindparam("claimed_by"))
    .with_for_update()
)
# Attempts begin: counted, and the lease renewed for the time of the send, where still claimed.
_START = (
    update(T)
    .where(T.c.id.in_(bindparam("ids", expanding=True)), T.c.claimed_by == bindparam("me"))
    .values(
        status="sending",
        attempts=T.c.attempts + 1,
        last_attempt_at=bindparam("now"),
        claimed_until=bindparam("until"),
    )
    .returning(T.c.id, T.c.attempts)
)
# An attempt's outcome, recorded whether or not the delivery's claim is still held: it happened.
_FINISH = (
    update(A)
    .where(A.c.attempt_id == bindparam("attempt"))
    .values(
        finished_at=bindparam("finished_at"),
        outcome=bindparam("outcome"),
        error=bindparam("error"),
        provider_id=bindparam("provider"),
    )
)
# One outcome, executed with the parameters of every row of a commit.
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
