"""Waiting for what another process, task or thread will make true: the one poll-until helper of the
tests, in its two forms.

`wait_until(condition, timeout, what)` calls `condition()` until it returns something truthy and
returns that; `await eventually(check, timeout, what)` does the same with a coroutine function. Past
`timeout` seconds either fails the test with "timed out after …s waiting for <what>", so a failure
says what never happened rather than which assertion a loop left behind.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], timeout: float = 20.0, what: str = "the condition", interval: float = 0.1
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


async def eventually(
    check: Callable[[], Awaitable[T]],
    timeout: float = 20.0,
    what: str = "the condition",
    interval: float = 0.05,
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)
