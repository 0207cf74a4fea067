"""The server's clock, injected so that rules about time are decided by one clock and tested with another."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from .errors import NaiveDatetimeError


class Clock(Protocol):
    """Tells the current time, always time-zone aware."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told: for tests and demos."""

    def __init__(self, at: datetime) -> None:
        self._at = require_aware(at, "the fixed clock's time")

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = require_aware(at, "the fixed clock's time")

    def advance(self, delta: timedelta) -> None:
        self._at = self._at + delta


def require_aware(value: datetime, what: str) -> datetime:
    """`value` itself if it carries a time zone; NaiveDatetimeError (422) otherwise."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(what, value)
    return value


def now_utc(clock: Clock) -> datetime:
    """The clock's time in UTC.

    Comparisons are made in UTC because Python compares two datetimes that share a tzinfo by their
    wall-clock time, which is wrong across a daylight-saving fold.
    """
    return require_aware(clock.now(), "the clock's time").astimezone(UTC)
