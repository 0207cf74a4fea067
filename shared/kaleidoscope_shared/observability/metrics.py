"""Every Prometheus metric the services export, in one place: the dashboard and the alert rules of
deploy/monitoring/ name only these (tests/observability checks it). deploy/README.md, section
"Monitoring", lists them for the operator.

Labels stay bounded: no ids, no stream names. An event is labelled by its type (`entry-submitted`), not
by its stream (`{namespace}.entry-submitted.v1`): a deployment has one namespace, so the two say the
same, while tests, which take a namespace each, would otherwise add series without end. Groups,
producers and services are the three services' names; channels the configured channels; routes the
API's route templates.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# --- the bus -------------------------------------------------------------------------------------

EVENTS_PUBLISHED = Counter(
    "kaleidoscope_events_published_total",
    "Events the outbox relay published to Redis, by producing service and event type",
    ["producer", "type"],
)
EVENTS_CONSUMED = Counter(
    "kaleidoscope_events_consumed_total",
    "Deliveries a consumer group handled, by outcome: applied, duplicate (already applied, skipped), "
    "failed (the handler raised; the message is retried) or dead_lettered",
    ["group", "type", "outcome"],
)
EVENTS_RETRIED = Counter(
    "kaleidoscope_events_retried_total",
    "Messages a consumer took over to try again after they stayed pending past the reclaim idle time "
    "(their handler failed, or their consumer died)",
    ["group", "type"],
)
DEAD_LETTERS = Counter(
    "kaleidoscope_dead_letters_total",
    "Events moved to a group's dead-letter stream, by reason (max-deliveries, max-crashes, malformed, "
    "unknown-event)",
    ["group", "type", "reason"],
)
DEAD_LETTER_REASONS = ("max-deliveries", "max-crashes", "malformed", "unknown-event")
HANDLER_LATENCY = Histogram(
    "kaleidoscope_handler_seconds",
    "Time to apply one batch of events (handlers, inbox and commit)",
    ["group"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
PENDING = Gauge(
    "kaleidoscope_pending_messages",
    "Messages delivered to a group but not acknowledged yet (XPENDING)",
    ["group", "type"],
)
CONSUMER_LAG = Gauge(
    "kaleidoscope_consumer_lag_messages",
    "Entries of a stream a group has not read yet (XINFO GROUPS lag)",
    ["group", "type"],
)
OUTBOX_BACKLOG = Gauge("kaleidoscope_outbox_backlog", "Outbox rows not yet published", ["producer"])
OUTBOX_OLDEST_AGE = Gauge(
    "kaleidoscope_outbox_oldest_unsent_age_seconds",
    "Age of the oldest outbox row not yet published (0 when none waits)",
    ["producer"],
)
RELAY_PUBLISH_SECONDS = Histogram(
    "kaleidoscope_relay_publish_seconds",
    "Time for the relay to publish one batch of outbox rows to Redis (one pipelined round trip)",
    ["producer"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
EVENTS_REPUBLISHED = Counter(
    "kaleidoscope_events_republished_total",
    "Sent outbox rows queued again because Redis restarted (reason=restarted) or came back empty",
    ["producer", "reason"],
)
STREAM_TRIMMED = Counter(
    "kaleidoscope_stream_entries_trimmed_total",
    "Stream entries removed by the producer's relay once no consumer group needs them (XTRIM MINID)",
    ["producer", "event_type"],
)
INBOX_PRUNED = Counter(
    "kaleidoscope_inbox_rows_pruned_total",
    "Inbox rows deleted after the dedup window (inbox_retention_s)",
    ["group"],
)

# --- processes -----------------------------------------------------------------------------------

READY = Gauge(
    "kaleidoscope_ready",
    "1 while the process's database and Redis answer (an API checks at each scrape and /ready, a "
    "worker's relay at each pass), else 0",
    ["service"],
)
DEPENDENCY_UNAVAILABLE = Counter(
    "kaleidoscope_dependency_unavailable_total",
    "Times a process found its database or Redis not answering, by dependency and component",
    ["dependency", "component"],
)

# --- HTTP ----------------------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "kaleidoscope_http_requests_total",
    "HTTP requests answered, by route template and status",
    ["service", "method", "route", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "kaleidoscope_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and status (for an "
    "event stream, the time it stayed open)",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUTH_FAILURES = Counter(
    "kaleidoscope_auth_failures_total",
    "Requests whose credential was refused (a wrong organiser token, juror token, entry token or grant)",
    ["service", "kind"],
)
AUTH_THROTTLED = Counter(
    "kaleidoscope_auth_throttled_total",
    "Requests answered 429 because their address (by=address) or token prefix (by=prefix) failed too often",
    ["service", "by"],
)

# --- the services' own -----------------------------------------------------------------------------

DELIVERY_OUTCOMES = Counter(
    "kaleidoscope_deliveries_total",
    "Notification send attempts by channel and outcome: sent, failed (a retry is due) or dead",
    ["channel", "status"],
)
DOCUMENT_RENDER_SECONDS = Histogram(
    "kaleidoscope_document_render_seconds",
    "Time to draw one PDF document (letters and diplomas), by kind; documents already on disk are not "
    "drawn again",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
SCOREBOARD_VIEWERS = Gauge(
    "kaleidoscope_scoreboard_viewers",
    "Live scoreboard streams (server-sent events) judging's API is serving now",
)


HALL_VIEWERS = Gauge(
    "kaleidoscope_hall_viewers",
    "Hall screens (server-sent events of the public final) this web process is serving now; each web "
    "process follows judging's scoreboard once per final, whatever the number of screens",
)


def event_type_of(stream: str, namespace: str) -> str:
    """`entry-submitted` of `{namespace}.entry-submitted.v1`."""
    name = stream.removeprefix(f"{namespace}.")
    head, dot, version = name.rpartition(".")
    return head if dot and version.startswith("v") else name
