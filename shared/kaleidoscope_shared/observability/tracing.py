"""Distributed traces with OpenTelemetry: one trace follows an entry from its POST through the outbox
relay and every service that handles its events, to the message sent about it.

Off unless configured, and then free: no tracer provider is installed, nothing is instrumented, no
span is made and no envelope carries a `traceparent`. On when a service's `otlp_endpoint` setting
(`SUBMISSIONS_OTLP_ENDPOINT`, …: the collector's OTLP/HTTP base URL, spans go to `<url>/v1/traces`)
or the standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` is set;
`OTEL_SDK_DISABLED=true` keeps it off whatever else is set. Spans are batched and exported over
OTLP/HTTP; `trace_sample_ratio` samples a share of new traces (a sampled request stays sampled in
every service it reaches).

What is traced once on:
- each service's HTTP API (FastAPI; `/health`, `/ready` and `/metrics` left out), its SQLAlchemy
  engine and its Redis client, and the web front's httpx clients (their calls carry `traceparent`);
- the bus: `Outbox` writes the current span's context into each envelope it stages (W3C
  `traceparent`), the relay makes a PRODUCER span per published event, a child of that context, and
  the consumer a CONSUMER span per applied event, also its child, which is current while the handler
  runs (its SQL, and the events it emits, belong to it);
- notifications' dispatcher: a span per message sent, a child of the span that handled the event the
  message is about when that event was handled in the same process (`remember_event`); otherwise
  the send starts a trace of its own, carrying the event id.

The workers' polling (the relay's claims, XREADGROUP, reclaims, the services' own loops) runs with
instrumentation suppressed (`quiet`), so that idle loops make no traces; the bus's own spans above
are made regardless.

A trace not sampled costs next to nothing: a request or an event whose span is not recording runs
with instrumentation suppressed (no span per SQL statement or Redis command), yet the context it
passes on (`traceparent` in the events it emits) still says "not sampled", so the services it reaches
do not sample that trace either; the relay makes no span for such an event.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeGuard

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN, Span, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from fastapi import FastAPI
    from httpx import AsyncClient
    from opentelemetry.sdk.trace import TracerProvider
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import ASGIApp, Receive, Scope, Send

    from ..contracts import Envelope

TRACER_NAME = "kaleidoscope"
UNTRACED_PATHS = ("/health", "/ready", "/metrics")
REMEMBERED_EVENTS = 10_000
"""How many handled events' spans a process keeps for the messages sent about them later."""

_SUPPRESS_KEYS = (otel_context._SUPPRESS_INSTRUMENTATION_KEY, "suppress_instrumentation")
_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_tracer: trace.Tracer | None = None
_handled: OrderedDict[tuple[str, str], SpanContext] = OrderedDict()
"""The span that applied an event, by consumer group and event id."""


# --- switching on and off -------------------------------------------------------------------------


def enabled() -> bool:
    """Whether this process traces."""
    return _provider is not None


def otlp_endpoint(configured: str) -> str | None:
    """Where spans go: `<configured>/v1/traces`, else "" (the exporter reads the standard
    variables), else None (tracing off). `OTEL_SDK_DISABLED=true` is always None."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if configured.strip():
        return configured.strip().rstrip("/") + "/v1/traces"
    standard = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    if any(os.environ.get(name, "").strip() for name in standard):
        return ""
    return None


def configure_tracing(service_name: str, endpoint: str = "", sample_ratio: float = 0.1) -> bool:
    """Install the SDK's provider exporting over OTLP/HTTP, once per process, if an endpoint is
    configured (see the module's text). Returns whether tracing is on."""
    if _provider is not None:
        return True
    url = otlp_endpoint(endpoint)
    if url is None:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: service_name}),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url or None)))
    trace.set_tracer_provider(provider)  # plugins' own spans join the same traces
    enable(provider)
    return True


def enable(provider: TracerProvider) -> None:
    """Trace with `provider` from now on (tests give one with an in-memory exporter). Apps, runtimes
    and clients built afterwards are instrumented."""
    global _provider, _tracer
    _provider, _tracer = provider, provider.get_tracer(TRACER_NAME)


def disable() -> None:
    """Stop making spans (instrumentation already applied stays, on the old provider)."""
    global _provider, _tracer
    _provider, _tracer = None, None
    _handled.clear()


def flush(timeout_ms: int = 5000) -> None:
    """Export the spans still batched (a stopping process)."""
    if _provider is not None:
        _provider.force_flush(timeout_ms)


# --- instrumentation ------------------------------------------------------------------------------


def instrument_engine(engine: AsyncEngine) -> None:
    """Spans for the engine's statements, when tracing is on."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeterProvider

    tracer = _provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    usage = NoOpMeterProvider().get_meter(TRACER_NAME).create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer, engine.sync_engine, usage)  # type: ignore[no-untyped-call]  # the library's own


def instrument_redis(client: Redis) -> None:
    """Spans for the client's commands and pipelines, when tracing is on."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    RedisInstrumentor.instrument_client(client, tracer_provider=_provider)


def instrument_httpx(client: AsyncClient) -> None:
    """Spans for the client's requests, which then carry `traceparent`, when tracing is on."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor.instrument_client(client, tracer_provider=_provider)


def instrument_app(app: FastAPI, *, quiet_unsampled: bool = True) -> None:
    """A SERVER span per request (the caller's `traceparent` as its parent), when tracing is on;
    health, readiness and metrics are neither traced nor trace what they call, nor, with
    `quiet_unsampled`, requests not sampled (see `QuietPaths`)."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    app.add_middleware(QuietPaths, paths=UNTRACED_PATHS, quiet_unsampled=quiet_unsampled)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_provider,
        excluded_urls="/health$,/ready$,/metrics",
        exclude_spans=["receive", "send"],
    )


class QuietPaths:
    """ASGI middleware, inside the one that makes the request's span: requests to `paths` run with
    instrumentation suppressed (a readiness probe every few seconds would otherwise start a trace for
    its database and Redis checks), and so do requests whose span is not sampled, when
    `quiet_unsampled` (a service's API: no span per statement; what it emits still carries the
    "not sampled" context). The web front keeps its instrumentation on, for its httpx clients pass
    the context on only then."""

    def __init__(self, app: ASGIApp, paths: tuple[str, ...], quiet_unsampled: bool = False) -> None:
        self.app = app
        self.paths = paths
        self.quiet_unsampled = quiet_unsampled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            scope["path"].startswith(self.paths)
            or (self.quiet_unsampled and not trace.get_current_span().is_recording())
        ):
            with quiet():
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)


def quiet() -> AbstractContextManager[object]:
    """Instrumentation suppressed inside (tasks created inside inherit it); nothing when off."""
    if _provider is None:
        return nullcontext()
    return _suppressed(True)


@contextmanager
def _suppressed(value: bool) -> Iterator[None]:
    current = otel_context.get_current()
    for key in _SUPPRESS_KEYS:
        current = otel_context.set_value(key, value, current)
    token = otel_context.attach(current)
    try:
        yield
    finally:
        otel_context.detach(token)


# --- trace context in envelopes -------------------------------------------------------------------


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, for an envelope; None when off or outside a span."""
    if _provider is None:
        return None
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{span_context.trace_flags:02x}"


def context_of(traceparent: str | None) -> Context | None:
    """The remote parent a `traceparent` names (None if absent; an empty context if malformed)."""
    if not traceparent:
        return None
    return _propagator.extract({"traceparent": traceparent})


_TRACEPARENT_KEY = '"traceparent":"'
_TRACEPARENT_LENGTH = 55  # version 2, trace id 32, span id 16, flags 2, three dashes


def traceparent_in(raw_envelope: str | bytes) -> str | None:
    """The `traceparent` of an envelope as stored in the outbox (None if it has none), found without
    decoding the whole envelope (the relay asks this of every event it publishes). The outbox stores
    compact JSON (`Envelope.model_dump_json`); anything else is decoded."""
    text = raw_envelope.decode() if isinstance(raw_envelope, bytes) else raw_envelope
    start = text.find(_TRACEPARENT_KEY)
    if start >= 0:
        start += len(_TRACEPARENT_KEY)
        value = text[start : start + _TRACEPARENT_LENGTH]
        if text[start + _TRACEPARENT_LENGTH : start + _TRACEPARENT_LENGTH + 1] == '"' and '"' not in value:
            return value
    elif '"traceparent"' not in text:
        return None
    try:
        found = json.loads(text).get("traceparent")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


_TRACEPARENT = re.compile(r"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")


def _unsampled(traceparent: str | None) -> TypeGuard[str]:
    """Whether `traceparent` is well formed (version 00, ids not zero) and says its trace is not
    sampled (flags without bit 0)."""
    if not traceparent or len(traceparent) != _TRACEPARENT_LENGTH or not _TRACEPARENT.fullmatch(traceparent):
        return False
    return not int(traceparent[-2:], 16) & 0x01


def start_publish_span(stream: str, raw_envelope: str) -> Span:
    """The relay's PRODUCER span for one event, a child of the context its envelope carries; the
    caller ends it. INVALID_SPAN (does nothing) when off or when that context is not sampled."""
    if _tracer is None:
        return INVALID_SPAN
    traceparent = traceparent_in(raw_envelope)
    if _unsampled(traceparent):
        return INVALID_SPAN
    return _tracer.start_span(
        f"publish {stream}",
        context=context_of(traceparent),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "redis",
            "messaging.operation.type": "send",
            "messaging.destination.name": stream,
        },
    )


def consume_span(envelope: Envelope, stream: str, group: str) -> AbstractContextManager[Span]:
    """The CONSUMER span of one applied event, a child of its envelope's `traceparent`, current (with
    instrumentation on again) while the handler runs; what the handler emits carries it on. An event
    whose trace is not sampled makes no span: its context is current with instrumentation suppressed,
    and what the handler emits says "not sampled"."""
    if _tracer is None:
        return nullcontext(INVALID_SPAN)
    if _unsampled(envelope.traceparent):
        return _unsampled_context(envelope.traceparent)
    return _consume_span(_tracer, envelope, stream, group)


@contextmanager
def _unsampled_context(traceparent: str) -> Iterator[Span]:
    """The remote span `traceparent` names (checked well-formed and unsampled by `_unsampled`) current,
    instrumentation suppressed: one context attached, no propagator (this runs for most events)."""
    span = trace.NonRecordingSpan(
        SpanContext(
            trace_id=int(traceparent[3:35], 16),
            span_id=int(traceparent[36:52], 16),
            is_remote=True,
            trace_flags=TraceFlags(int(traceparent[53:55], 16)),
        )
    )
    current = trace.set_span_in_context(span)
    for key in _SUPPRESS_KEYS:
        current = otel_context.set_value(key, True, current)
    token = otel_context.attach(current)
    try:
        yield span
    finally:
        otel_context.detach(token)


@contextmanager
def _consume_span(tracer: trace.Tracer, envelope: Envelope, stream: str, group: str) -> Iterator[Span]:
    with (
        tracer.start_as_current_span(
            f"process {stream}",
            context=context_of(envelope.traceparent),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "redis",
                "messaging.operation.type": "process",
                "messaging.destination.name": stream,
                "messaging.consumer.group.name": group,
                "messaging.message.id": str(envelope.event_id),
                "kaleidoscope.event_type": envelope.type,
                "kaleidoscope.correlation_id": str(envelope.correlation_id),
            },
        ) as span,
        _suppressed(not span.is_recording()),
    ):
        yield span


# --- messages sent after the event's transaction ---------------------------------------------------


def remember_event(group: str, event_id: uuid.UUID | str, span: Span) -> None:
    """Keep the span in which `group` applied an event, for the messages sent about it later in this
    process."""
    if _provider is None or not span.get_span_context().is_valid:
        return
    _handled[(group, str(event_id))] = span.get_span_context()
    while len(_handled) > REMEMBERED_EVENTS:
        _handled.popitem(last=False)


def send_span(
    name: str, event_id: uuid.UUID | str, *, handled_by: str, attributes: Mapping[str, Any] | None = None
) -> AbstractContextManager[Span]:
    """A CLIENT span around sending one message about `event_id`: a child of the span in which the
    consumer group `handled_by` applied that event if this process remembers it, else a new trace
    carrying the event id."""
    if _tracer is None:
        return nullcontext(INVALID_SPAN)
    handled = _handled.get((handled_by, str(event_id)))
    parent = trace.set_span_in_context(trace.NonRecordingSpan(handled)) if handled else Context()
    return _tracer.start_as_current_span(
        name,
        context=parent,
        kind=SpanKind.CLIENT,
        attributes={"kaleidoscope.event_id": str(event_id), **(attributes or {})},
    )


def mark_failed(span: Span, description: str) -> None:
    span.set_status(Status(StatusCode.ERROR, description[:500]))
