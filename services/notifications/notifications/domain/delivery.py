"""A delivery's identity and life: one per (event, recipient, channel), retried with back-off, then dead.

Everything here is pure: time and randomness come in as arguments, so the worker and the tests decide.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

# Fixed forever: changing it would give every past delivery a new key and allow duplicates.
DELIVERY_NAMESPACE = uuid.UUID("6b1f2f0e-3c1a-5e7b-9a53-2f6f4f0b7c11")


def delivery_key(event_id: uuid.UUID, recipient_key: str, channel: str) -> uuid.UUID:
    """The delivery id for one recipient on one channel for one event: the same inputs always give the
    same id, so a redelivered event maps onto the existing delivery instead of a new message."""
    return uuid.uuid5(DELIVERY_NAMESPACE, f"{event_id}|{recipient_key.strip().lower()}|{channel}")


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential back-off with full jitter: the n-th retry waits a random time in
    [0, min(max_delay, base_delay · factor^(n-1))]; after `max_attempts` failed sends the delivery dies."""

    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=2)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if self.factor < 1:
            raise ValueError("RetryPolicy.factor must be at least 1")

    def ceiling(self, failed_attempts: int) -> timedelta:
        exponent = max(failed_attempts - 1, 0)
        seconds = self.base_delay.total_seconds() * self.factor**exponent
        return timedelta(seconds=min(seconds, self.max_delay.total_seconds()))

    def delay(self, failed_attempts: int, rng: random.Random) -> timedelta:
        return timedelta(seconds=rng.uniform(0, self.ceiling(failed_attempts).total_seconds()))


@dataclass(frozen=True, slots=True)
class DeliveryState:
    delivery_id: uuid.UUID
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    provider_id: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in (DeliveryStatus.SENT, DeliveryStatus.DEAD)


def record_success(state: DeliveryState, provider_id: str) -> DeliveryState:
    return replace(
        state,
        status=DeliveryStatus.SENT,
        attempts=state.attempts + 1,
        provider_id=provider_id,
        next_attempt_at=None,
    )


def record_failure(
    state: DeliveryState,
    error: str,
    *,
    permanent: bool,
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random,
) -> DeliveryState:
    """The state after a failed send: scheduled for a retry, or dead when the error is permanent or the
    attempts are used up."""
    attempts = state.attempts + 1
    if permanent or attempts >= policy.max_attempts:
        return replace(
            state, status=DeliveryStatus.DEAD, attempts=attempts, last_error=error, next_attempt_at=None
        )
    return replace(
        state,
        status=DeliveryStatus.PENDING,
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + policy.delay(attempts, rng),
    )
