"""Prometheus metrics of the bus layer, shared by every process of every service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter(
    "kaleidoscope_events_published_total", "Events the outbox relay published to Redis", ["stream"]
)
EVENTS_CONSUMED = Counter(
    "kaleidoscope_events_consumed_total",
    "Events a consumer group handled, by outcome (applied, duplicate, failed, dead_lettered)",
    ["group", "stream", "outcome"],
)
HANDLER_LATENCY = Histogram(
    "kaleidoscope_handler_seconds",
    "Time to apply one batch of events (handlers, inbox and commit)",
    ["group"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
PENDING = Gauge(
    "kaleidoscope_pending_messages", "Messages delivered but not acknowledged", ["group", "stream"]
)
OUTBOX_BACKLOG = Gauge("kaleidoscope_outbox_backlog", "Outbox rows not yet published", ["producer"])
DEAD_LETTERS = Counter(
    "kaleidoscope_dead_letters_total", "Events moved to a dead-letter stream", ["group", "stream", "reason"]
)
