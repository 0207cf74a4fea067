"""Waiting for started processes to answer over HTTP, failing early if one of them has died."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import httpx


def wait_until_answering(
    urls: Iterable[str],
    timeout: float,
    *,
    exited: Callable[[], dict[str, int]] | None = None,
    logs: str = "",
) -> None:
    """Poll every URL until each answers 200; raise if `timeout` passes or a watched process exits."""
    deadline, waiting = time.monotonic() + timeout, set(urls)
    while waiting:
        if exited and (crashed := exited()):
            raise RuntimeError(
                f"processes exited during start-up: {crashed}" + (f" (see {logs})" if logs else "")
            )
        for url in list(waiting):
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    waiting.discard(url)
            except httpx.HTTPError:
                pass
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(f"not answering after {timeout}s: {sorted(waiting)}")
        if waiting:
            time.sleep(0.2)
