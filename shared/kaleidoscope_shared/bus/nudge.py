"""Waking the relay when outbox rows are committed, instead of having it poll every few milliseconds.

The producing side: `Outbox.add` marks the caller's session; when that session's transaction commits
(SQLAlchemy's `after_commit`, whichever service, unit of work or consumer committed it), the process
PUBLISHes an empty message on `{namespace}.relay.{producer}.nudge`. One nudge covers every commit made
before it is sent, so a burst of commits costs one or two PUBLISHes, and nothing waits for it: the
commit has already returned. A rolled-back transaction nudges nobody.

The relaying side: `NudgeListener` holds a subscription to that channel and sets an `asyncio.Event` on
every nudge; the relay waits on it with its poll interval as the timeout.

The nudge carries no event and nothing depends on it arriving: events travel only through the outbox
and the streams (the rule of the bus). A nudge lost — Redis down or restarting, a relay re-subscribing,
a relay not yet subscribed — only delays the rows until the relay's safety-net poll
(`relay_poll_interval_s`), which claims whatever is committed and unsent.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..observability import tracing
from ..observability.logging import get_logger
from .stopping import sleep_or_stop

log = get_logger(__name__)

_SESSION_KEY = "kaleidoscope.outbox_nudge"


def nudge_channel(namespace: str, producer: str) -> str:
    """The channel on which `producer`'s relays are woken."""
    return f"{namespace}.relay.{producer}.nudge"


class OutboxNudge:
    """The producing side: one per process and producer, shared by every session of the process."""

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self.channel = channel
        self._sender: asyncio.Task[None] | None = None
        self._again = False

    def after_commit_of(self, session: AsyncSession) -> None:
        """Nudge the relays once `session`'s current transaction commits (outbox rows were added)."""
        session.info[_SESSION_KEY] = self

    def committed(self) -> None:
        """Rows are committed: nudge soon. Never raises, never waits. One nudge is sent at a time: a
        commit made while one is on its way asks for one more after it (a nudge sent after a commit
        covers it), so a burst of commits costs two PUBLISHes, and a Redis outage one connection attempt
        at a time."""
        if self._sender is not None and not self._sender.done():
            self._again = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # committed outside an event loop: the relay's poll finds the rows
            return
        self._again = False
        self._sender = loop.create_task(self._send())

    async def _send(self) -> None:
        with tracing.quiet():
            while True:
                self._again = False  # a commit from here on asks for another nudge
                try:
                    await self._redis.publish(self.channel, b"")
                except (RedisError, OSError):  # lost: the relay's poll finds the rows
                    pass
                except Exception as error:  # e.g. a client whose event loop has closed: never raise
                    log.warning("nudge.failed", channel=self.channel, error=repr(error))
                    return
                if not self._again:
                    return

    async def flush(self, timeout_s: float = 1.0) -> None:
        """Let the nudge being sent go out (before the Redis client closes)."""
        if self._sender is not None and not self._sender.done():
            await asyncio.wait({self._sender}, timeout=timeout_s)


@event.listens_for(Session, "after_commit")
def _nudge_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the rows are not committed yet
        return
    nudge = session.info.pop(_SESSION_KEY, None)
    if nudge is not None:
        nudge.committed()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's rollback keeps the outer rows
        session.info.pop(_SESSION_KEY, None)


class NudgeListener:
    """The relaying side: `woken` is set whenever a nudge arrives (and once on every (re)subscription,
    so that what was committed while not subscribed is claimed at once)."""

    def __init__(self, redis: Redis, channel: str, *, retry_s: float = 1.0) -> None:
        self._redis = redis
        self.channel = channel
        self._retry_s = retry_s
        self.woken = asyncio.Event()
        self.subscribed = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set; Redis outages only pause it (the relay's poll goes on)."""
        failing = False
        while not stop.is_set():
            pubsub: PubSub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.subscribed.set()
                self.woken.set()
                if failing:
                    log.info("relay.nudges_back", channel=self.channel)
                    failing = False
                while not stop.is_set():
                    message: Any = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                    if message is not None:
                        self.woken.set()
            except (RedisError, OSError) as error:
                self.subscribed.clear()
                if not failing:
                    log.warning("relay.nudges_unavailable", channel=self.channel, error=str(error))
                    failing = True
                await sleep_or_stop(stop, self._retry_s)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py's own
