"""What notifications did for the demo's contest: its delivery log, once it has stopped growing."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from .demo_client import DemoError, ServiceClient
from .words import Language, phrase, say

# Statuses a delivery leaves by itself: not tried yet, or failed and waiting for its next attempt
# (it ends `sent`, or `dead` once its attempts are used up).
IN_FLIGHT = {"pending", "sending", "failed"}
QUIET_S = 1.0
PAGE = 1000
PROGRESS_EVERY_S = 5.0


def settled_deliveries(
    client: ServiceClient,
    contest_id: str,
    timeout: float,
    tell: Callable[[str], None] = print,
    language: Language = "ru",
) -> list[dict[str, Any]]:
    """The contest's deliveries once ContestFinished has been fanned out, none is in flight, and the
    log has not changed for QUIET_S seconds. Raises DemoError if nothing moves for `timeout` seconds
    (a big contest may take longer than that in all, drawing its PDFs; it keeps moving meanwhile)."""
    last: tuple[int, int] = (-1, -1)
    moved = quiet_since = told = time.monotonic()
    while time.monotonic() - moved < timeout:
        current = deliveries_of(client, contest_id)
        state = (len(current), sum(d["status"] in IN_FLIGHT for d in current))
        if state != last:
            last, moved, quiet_since = state, time.monotonic(), time.monotonic()
            if time.monotonic() - told >= PROGRESS_EVERY_S:
                tell(say(language, "sending", sent=state[0] - state[1], n=state[0]))
                told = time.monotonic()
        elif _finished(current) and time.monotonic() - quiet_since >= QUIET_S:
            return current
        time.sleep(0.25)
    total, flight = max(0, last[0]), max(0, last[1])
    raise DemoError.said(phrase("no_progress", n=round(timeout), total=total, flight=flight))


def _finished(deliveries: list[dict[str, Any]]) -> bool:
    """The contest's end has been told, and nothing is waiting to be sent."""
    told = any(d["event_type"] == "contest-finished" for d in deliveries)
    return told and not any(d["status"] in IN_FLIGHT for d in deliveries)


def deliveries_of(client: ServiceClient, contest_id: str) -> list[dict[str, Any]]:
    """Every delivery of the contest, page by page."""
    found: list[dict[str, Any]] = []
    while True:
        params = {"contest_id": contest_id, "limit": PAGE, "offset": len(found)}
        page = client.notifications("GET", "/deliveries", params=params)
        found += page
        if len(page) < PAGE:
            return found


def per_channel(deliveries: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    """Deliveries counted by channel and status."""
    counts: dict[str, Counter[str]] = {}
    for delivery in deliveries:
        counts.setdefault(delivery["channel"], Counter())[delivery["status"]] += 1
    return counts
