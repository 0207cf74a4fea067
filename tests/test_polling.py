"""The tests' one poll-until helper: it returns what the condition found, and past the timeout it fails
saying what never happened."""

from __future__ import annotations

import itertools

import pytest

from .polling import eventually, wait_until


def test_wait_until_returns_the_first_truthy_value_the_condition_gives() -> None:
    calls = itertools.count(1)
    assert wait_until(lambda: next(calls) >= 3 and "third", timeout=5, interval=0) == "third"


def test_wait_until_fails_naming_what_never_happened() -> None:
    with pytest.raises(AssertionError, match=r"timed out after 0.05s waiting for the letter"):
        wait_until(lambda: None, timeout=0.05, what="the letter", interval=0.01)


async def test_eventually_awaits_the_check_until_it_holds() -> None:
    calls = itertools.count(1)

    async def third() -> int | None:
        n = next(calls)
        return n if n >= 3 else None

    assert await eventually(third, timeout=5, interval=0) == 3


async def test_eventually_fails_naming_what_never_happened() -> None:
    async def never() -> bool:
        return False

    with pytest.raises(AssertionError, match=r"timed out after 0.05s waiting for the results"):
        await eventually(never, timeout=0.05, what="the results", interval=0.01)
