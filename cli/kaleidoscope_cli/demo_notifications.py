"""What notifications did for the demo's contest: its delivery log, once it has stopped growing."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from .demo_client import DemoError, ServiceClient

# Statuses a delivery leaves by itself: not tried yet, or failed and waiting for its next attempt
# (it ends `sent`, or `dead` once its attempts are used up).
IN_FLIGHT = {"pending", "failed"}
QUIET_S = 2.0
PAGE = 1000


def settled_deliveries(client: ServiceClient, contest_id: str, timeout: float) -> list[dict[str, Any]]:
    """The contest's deliveries once none is in flight and the log has not grown for QUIET_S seconds.

    Events reach notifications asynchronously: a quiet log is the sign that the last of them (the
    letters and diplomas that follow ContestFinished) has been handled."""
    deadline = time.monotonic() + timeout
    last: list[dict[str, Any]] = []
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        current = deliveries_of(client, contest_id)
        if len(current) != len(last) or any(d["status"] in IN_FLIGHT for d in current):
            last, quiet_since = current, time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_S:
            return current
        time.sleep(0.25)
    raise DemoError(f"notifications still busy after {timeout:.0f}s ({len(last)} deliveries so far)")


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
