"""Delivery identity and retries: pure rules, with time and randomness passed in."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from notifications.domain import (
    DeliveryState,
    DeliveryStatus,
    RetryPolicy,
    delivery_key,
    record_failure,
    record_success,
)

EVENT = uuid.UUID("11111111-1111-4111-8111-111111111111")
NOW = datetime(2025, 9, 1, tzinfo=UTC)
POLICY = RetryPolicy(
    max_attempts=5, base_delay=timedelta(seconds=10), factor=2, max_delay=timedelta(seconds=60)
)


def test_the_same_event_recipient_and_channel_always_give_the_same_delivery_id() -> None:
    assert delivery_key(EVENT, "Zavodisker@Belovo-Lib.example", "email") == delivery_key(
        EVENT, "zavodisker@belovo-lib.example ", "email"
    )


def test_another_channel_recipient_or_event_gives_another_delivery_id() -> None:
    keys = {
        delivery_key(EVENT, "a@x.example", "email"),
        delivery_key(EVENT, "a@x.example", "webhook"),
        delivery_key(EVENT, "b@x.example", "email"),
        delivery_key(uuid.uuid4(), "a@x.example", "email"),
    }
    assert len(keys) == 4


def test_back_off_ceilings_grow_exponentially_up_to_the_maximum() -> None:
    assert [POLICY.ceiling(n).total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]


@given(attempts=st.integers(min_value=1, max_value=30), seed=st.integers())
def test_jittered_delays_stay_within_the_ceiling(attempts: int, seed: int) -> None:
    delay = POLICY.delay(attempts, random.Random(seed))
    assert timedelta(0) <= delay <= POLICY.ceiling(attempts)


def test_a_transient_failure_schedules_a_retry_and_the_last_one_is_dead() -> None:
    state = DeliveryState(delivery_id=uuid.uuid4())
    rng = random.Random(7)
    for attempt in range(1, 5):
        state = record_failure(state, "timeout", permanent=False, now=NOW, policy=POLICY, rng=rng)
        assert state.status is DeliveryStatus.PENDING and state.attempts == attempt
        assert state.next_attempt_at is not None and NOW <= state.next_attempt_at <= NOW + POLICY.ceiling(
            attempt
        )
    state = record_failure(state, "timeout", permanent=False, now=NOW, policy=POLICY, rng=rng)
    assert state.status is DeliveryStatus.DEAD and state.attempts == 5 and state.next_attempt_at is None
    assert state.last_error == "timeout" and state.is_final


def test_a_permanent_failure_is_dead_at_once() -> None:
    state = record_failure(
        DeliveryState(uuid.uuid4()),
        "550 no such user",
        permanent=True,
        now=NOW,
        policy=POLICY,
        rng=random.Random(),
    )
    assert state.status is DeliveryStatus.DEAD and state.attempts == 1


def test_a_success_records_the_provider_id() -> None:
    state = record_success(DeliveryState(uuid.uuid4(), attempts=2), "<id@x>")
    assert (state.status, state.attempts, state.provider_id) == (DeliveryStatus.SENT, 3, "<id@x>")
