"""Waiting that a shutdown interrupts at once."""

from __future__ import annotations

import asyncio
import contextlib


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def sleep_until_woken(stop: asyncio.Event, woken: asyncio.Event | None, seconds: float) -> None:
    """Sleep `seconds`, or less if `woken` (when given) or `stop` is set meanwhile (or already)."""
    if woken is None:
        await sleep_or_stop(stop, seconds)
        return
    if stop.is_set() or woken.is_set():
        return
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(woken.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
