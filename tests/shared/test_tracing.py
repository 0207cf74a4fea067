"""Distributed traces: one entry followed across the three services in one trace, and nothing at all
when tracing is off.

The three services' APIs and workers run in this process on their own databases and a real Redis;
spans go to the SDK's in-memory exporter.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import select
from starlette.types import ASGIApp, Receive, Scope, Send

from judging.main import worker as judging_worker
from judging.settings import JudgingSettings
from kaleidoscope_shared.bus.consumer import StreamConsumer
from kaleidoscope_shared.contracts import EntrySubmitted, Envelope
from kaleidoscope_shared.observability import tracing
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN
from kaleidoscope_shared.worker import build_consumer, build_relay
from notifications.main import worker as notifications_worker
from notifications.settings import NotificationsSettings
from submissions.main import create_app as submissions_app
from submissions.main import worker as submissions_worker
from submissions.settings import SubmissionsSettings
from web.adapters.api import ServiceApi

from .probe import entry, probe_handlers, probe_runtime

ORGANISER = {"Authorization": f"Bearer {DEVELOPMENT_ORGANISER_TOKEN}"}
FAST: dict[str, Any] = {
    "consumer_block_ms": 50,
    "reclaim_interval_s": 0.2,
    "log_level": "WARNING",
    "environment": "test",
}


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    try:
        yield exporter
    finally:
        tracing.disable()
        provider.shutdown()


@pytest.fixture
async def databases(database_url: str, tmp_path: Path) -> AsyncIterator[list[str]]:
    """Three databases, one per service, on the backend of `database_url`."""
    if database_url.startswith("sqlite"):
        yield [f"sqlite+aiosqlite:///{tmp_path}/{name}.db" for name in ("s", "j", "n")]
        return
    import asyncpg  # type: ignore[import-untyped]

    base, _ = database_url.rsplit("/", 1)
    names = [f"kaleidoscope_test_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
        yield [database_url, *(f"{base}/{name}" for name in names)]
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def contest_body() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "title": "Библиотечный калейдоскоп",
        "organisers": [{"name": "Кузбасские библиотеки", "email": "org@kuzbass-libraries.example"}],
        "nominations": [{"code": "service-guide", "title": "Сервис гид"}],
        "territories": [{"code": "belovo", "name": "Беловский городской округ", "kind": "city_district"}],
        "window": {
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
        },
    }


def entry_body() -> dict[str, Any]:
    return {
        "nomination_code": "service-guide",
        "title": "Рюкзачок знаний",
        "authors": [
            {
                "full_name": "Заводискер Оксана Юрьевна",
                "territory_code": "belovo",
                "email": "zavodisker@belovo-lib.example",
            }
        ],
        "consent_to_personal_data": True,
    }


def one(found: list[ReadableSpan], what: str) -> ReadableSpan:
    assert len(found) == 1, f"{what}: {len(found)} spans ({[s.name for s in found]})"
    return found[0]


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


async def test_one_trace_follows_an_entry_from_its_post_to_the_message_sent_about_it(
    spans: InMemorySpanExporter, databases: list[str], redis_url: str, namespace: str, tmp_path: Path
) -> None:
    submissions_db, judging_db, notifications_db = databases
    common: dict[str, Any] = {"redis_url": redis_url, "bus_namespace": namespace, **FAST}
    submissions = SubmissionsSettings(
        database_url=submissions_db, data_dir=str(tmp_path / "submissions"), **common
    )
    judging = JudgingSettings(database_url=judging_db, data_dir=str(tmp_path / "judging"), **common)
    notifications = NotificationsSettings(
        database_url=notifications_db,
        data_dir=str(tmp_path / "notifications"),
        default_channels=["file"],
        document_workers=0,
        **common,
    )
    stop = asyncio.Event()
    workers = [
        asyncio.create_task(submissions_worker(submissions, stop)),
        asyncio.create_task(judging_worker(judging, stop)),
        asyncio.create_task(notifications_worker(notifications, stop)),
    ]
    app = submissions_app(submissions)
    try:
        async with app.router.lifespan_context(app):
            # the web front's client: its requests carry `traceparent`
            transport = httpx.ASGITransport(app=elsewhere(app))
            api = ServiceApi("submissions", "http://submissions", 30, transport=transport)
            contest = await api.request("POST", "/contests", json=contest_body(), headers=ORGANISER)
            await api.request("POST", f"/contests/{contest['id']}/publish", headers=ORGANISER)
            await api.request("POST", f"/contests/{contest['id']}/entries", json=entry_body())
            await api.close()
            entry_stream = EntrySubmitted.stream(namespace)
            sent = await sent_about(spans, entry_stream, workers)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers, return_exceptions=True), 30)

    finished = spans.get_finished_spans()
    client = one(
        [s for s in finished if s.kind == SpanKind.CLIENT and s.name == "POST" and "entries" in url_of(s)],
        "the web front's POST",
    )
    post = one(
        [
            s
            for s in finished
            if s.kind == SpanKind.SERVER and s.name == "POST /contests/{contest_id}/entries"
        ],
        "the API's POST",
    )
    publish = one(
        [s for s in finished if s.kind == SpanKind.PRODUCER and s.name == f"publish {entry_stream}"],
        "the relay's publish",
    )
    judged = consumed(finished, entry_stream, "judging")
    noticed = consumed(finished, entry_stream, "notifications")
    trace_id = client.context.trace_id
    assert {s.context.trace_id for s in (client, post, publish, judged, noticed, sent)} == {trace_id}
    assert client.parent is None
    assert parent_of(post) == client.context.span_id
    assert parent_of(publish) == post.context.span_id
    assert parent_of(judged) == post.context.span_id
    assert parent_of(noticed) == post.context.span_id
    assert parent_of(sent) == noticed.context.span_id
    assert (sent.attributes or {}).get("kaleidoscope.event_id") == (noticed.attributes or {}).get(
        "messaging.message.id"
    )
    # the handlers' SQL belongs to their events' spans, the POST's to the request's
    for owner in (post, judged, noticed):
        assert any(
            parent_of(s) == owner.context.span_id
            and s.kind == SpanKind.CLIENT
            and "db.system" in (s.attributes or {})
            for s in finished
        ), f"no SQL span under {owner.name}"
    # idle polling (the relay's claims, XREADGROUP, reclaims, the dispatcher's) made no trace of its own
    orphans = [s.name for s in finished if s.parent is None and "db.system" in (s.attributes or {})]
    assert not orphans, orphans


def elsewhere(app: ASGIApp) -> ASGIApp:
    """`app` as if in another process: what it knows of the caller's trace comes in the request's
    headers, not from the caller's current span."""

    async def isolated(scope: Scope, receive: Receive, send: Send) -> None:
        token = otel_context.attach(otel_context.Context())
        try:
            await app(scope, receive, send)
        finally:
            otel_context.detach(token)

    return isolated


def url_of(span: ReadableSpan) -> str:
    attributes = span.attributes or {}
    return str(attributes.get("url.full") or attributes.get("http.url") or "")


def consumed(finished: tuple[ReadableSpan, ...], stream: str, group: str) -> ReadableSpan:
    return one(
        [
            s
            for s in finished
            if s.kind == SpanKind.CONSUMER
            and s.name == f"process {stream}"
            and (s.attributes or {}).get("messaging.consumer.group.name") == group
        ],
        f"{group}'s handling",
    )


async def sent_about(
    spans: InMemorySpanExporter, stream: str, workers: list[asyncio.Task[None]], timeout: float = 60
) -> ReadableSpan:
    """Wait for the message sent about the entry's event (by the event id the notifications' span
    names), whatever trace it is in."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in workers:
            if task.done():
                task.result()  # a worker that stopped: its error
                raise AssertionError("a worker stopped")
        finished = spans.get_finished_spans()
        handled = {
            (s.attributes or {}).get("messaging.message.id")
            for s in finished
            if s.kind == SpanKind.CONSUMER and s.name == f"process {stream}"
        }
        sends = [
            s
            for s in finished
            if s.name == "send file" and (s.attributes or {}).get("kaleidoscope.event_id") in handled
        ]
        judged = [
            s for s in finished if (s.attributes or {}).get("messaging.consumer.group.name") == "judging"
        ]
        if sends and any(s.name == f"process {stream}" for s in judged):
            return one(sends, "the message sent about the entry")
        await asyncio.sleep(0.05)
    raise AssertionError("no message sent about the entry in time")


async def test_with_tracing_off_nothing_is_instrumented_and_envelopes_carry_no_traceparent(
    database_url: str, redis_url: str, namespace: str
) -> None:
    assert not tracing.enabled()
    elsewhere = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(elsewhere))
    runtime, applied = probe_runtime(database_url, redis_url, namespace)
    await runtime.open()
    try:
        assert not getattr(runtime.redis, "_is_instrumented_by_opentelemetry", False)
        assert not runtime.engine.sync_engine.dispatch.before_cursor_execute
        consumer: StreamConsumer = build_consumer(runtime, probe_handlers(applied))
        await consumer.ensure_groups()
        # even inside a span someone else makes, the outbox adds no trace context
        with provider.get_tracer("test").start_as_current_span("someone else's"):
            async with runtime.sessions.begin() as session:
                staged = await runtime.outbox.add(session, entry("untraced"))
        assert staged.traceparent is None
        async with runtime.sessions() as session:
            stored = await session.scalar(select(runtime.tables.outbox.c.envelope))
        assert "traceparent" not in json.loads(stored)
        messages = await relay_and_apply(runtime, consumer)
        async with runtime.sessions() as session:
            assert len((await session.execute(select(applied))).all()) == 1
        assert [s.name for s in elsewhere.get_finished_spans()] == ["someone else's"]
        assert Envelope.model_validate_json(messages[0][2][b"envelope"]).traceparent is None
    finally:
        await runtime.close()
        provider.shutdown()


async def relay_and_apply(runtime: ServiceRuntime, consumer: StreamConsumer) -> list[tuple[str, bytes, Any]]:
    """Publish the outbox's one row, read it as the consumer's group and apply it; the messages read."""
    assert await build_relay(runtime).relay_once() == 1
    response: Any = await runtime.redis.xreadgroup(
        consumer.settings.group, "c", dict.fromkeys(consumer.streams, ">"), count=10
    )
    messages = [(s.decode(), i, f) for s, entries in response for i, f in entries]
    await consumer.handle_messages(messages)
    return messages


async def test_a_malformed_traceparent_only_starts_a_new_trace(
    spans: InMemorySpanExporter, database_url: str, redis_url: str, namespace: str
) -> None:
    runtime, applied = probe_runtime(database_url, redis_url, namespace)
    await runtime.open()
    try:
        consumer = build_consumer(runtime, probe_handlers(applied))
        envelope = Envelope.wrap(entry("odd parent"), producer="probe", traceparent="not a traceparent")
        raw = envelope.model_dump_json().encode()
        await consumer.handle_messages([(envelope.stream(namespace), b"1-0", {b"envelope": raw})])
        async with runtime.sessions() as session:
            assert len((await session.execute(select(applied))).all()) == 1
        [span] = [s for s in spans.get_finished_spans() if s.kind == SpanKind.CONSUMER]
        assert span.parent is None
    finally:
        await runtime.close()


class CountingSampler:
    """Never samples; counts the spans asked for (the sampler sees every span an instrumentation starts
    under a parent that is not sampled)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def should_sample(self, parent_context: Any, trace_id: int, name: str, *args: Any, **kwargs: Any) -> Any:
        from opentelemetry.sdk.trace.sampling import Decision, SamplingResult

        self.asked.append(name)
        return SamplingResult(Decision.DROP)

    def get_description(self) -> str:
        return "CountingSampler"


async def test_a_trace_not_sampled_makes_no_span_per_statement_and_stays_not_sampled_downstream(
    databases: list[str], redis_url: str, namespace: str, tmp_path: Path
) -> None:
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased

    exporter = InMemorySpanExporter()
    counting = CountingSampler()
    provider = TracerProvider(
        sampler=ParentBased(ALWAYS_ON, remote_parent_not_sampled=counting, local_parent_not_sampled=counting)
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    try:
        # a request whose caller did not sample its trace: one (dropped) span for the request, none
        # for its SQL, and the event it stages says "not sampled"
        settings = SubmissionsSettings(
            database_url=databases[0],
            data_dir=str(tmp_path / "s"),
            redis_url=redis_url,
            bus_namespace=namespace,
            **FAST,
        )
        app = submissions_app(settings)
        trace_id = uuid.uuid4().hex
        unsampled = {"traceparent": f"00-{trace_id}-{'1' * 16}-00"}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=elsewhere(app))
            async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
                created = await client.post("/contests", json=contest_body(), headers=ORGANISER)
                assert created.status_code == 201, created.text
                contest_id = created.json()["id"]
                asked_before = len(counting.asked)
                answer = await client.post(
                    f"/contests/{contest_id}/publish", headers={**ORGANISER, **unsampled}
                )
                assert answer.status_code == 200, answer.text
                answer = await client.post(
                    f"/contests/{contest_id}/entries", json=entry_body(), headers=unsampled
                )
                assert answer.status_code == 201, answer.text
        assert counting.asked[asked_before:] == [
            "POST /contests/{contest_id}/publish",
            "POST /contests/{contest_id}/entries",
        ]
        # the probe service: an event staged in that trace, relayed and applied — no span asked for
        runtime, applied = probe_runtime(databases[1], redis_url, namespace)
        await runtime.open()
        try:
            consumer = build_consumer(runtime, probe_handlers(applied))
            await consumer.ensure_groups()
            parent = tracing.context_of(unsampled["traceparent"])
            assert parent is not None
            token = otel_context.attach(parent)
            try:
                async with runtime.sessions.begin() as session:
                    staged = await runtime.outbox.add(session, entry("not sampled"))
            finally:
                otel_context.detach(token)
            assert staged.traceparent == unsampled["traceparent"]
            asked_before = len(counting.asked)
            exported_before = len(exporter.get_finished_spans())
            with tracing.quiet():  # as the relay's and the consumer's loops run
                await relay_and_apply(runtime, consumer)
                async with runtime.sessions() as session:
                    assert len((await session.execute(select(applied))).all()) == 1
            assert counting.asked[asked_before:] == []
            assert [s.name for s in exporter.get_finished_spans()[exported_before:]] == []
        finally:
            await runtime.close()
    finally:
        tracing.disable()
        provider.shutdown()


@pytest.mark.parametrize(
    "envelope",
    [
        Envelope.wrap(entry("a"), producer="p").model_dump_json(),
        Envelope.wrap(entry("b"), producer="p", traceparent=f"00-{'a' * 32}-{'b' * 16}-01").model_dump_json(),
        Envelope.wrap(entry('"traceparent":"x'), producer="p").model_dump_json(),
        Envelope.wrap(entry("c"), producer="p", traceparent="not a traceparent").model_dump_json(),
        json.dumps({"traceparent": f"00-{'a' * 32}-{'b' * 16}-00", "x": 1}, indent=2),
        "not json",
    ],
)
def test_the_relay_reads_the_traceparent_an_envelope_holds(envelope: str) -> None:
    try:
        expected = json.loads(envelope).get("traceparent")
    except ValueError:
        expected = None
    assert tracing.traceparent_in(envelope) == expected
    assert tracing.traceparent_in(envelope.encode()) == expected
