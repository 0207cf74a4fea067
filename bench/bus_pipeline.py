"""The bus end to end: outbox commit → relay → Redis stream → consumer's inbox commit.

Producer and consumer run as two processes with their own databases, as two services do. Measured:
events/s when the producer commits as fast as it can (transactions of 100 events), and latency
percentiles at a fixed offered rate (one event per transaction). Baseline, in the same run and the
same two-process shape: raw redis-py, XADD → XREADGROUP → XACK one message at a time.

The pipeline is measured in three variants of observability (bench/_observability.py), interleaved
within each run, each run with fresh producer and consumer processes started in that variant:
"as shipped" (Prometheus metrics, no tracing: a service without an OTLP endpoint; the rows without a
suffix, which the targets below are about), "observability off" (every metric call a no-op, no
tracing) and "observability on" (metrics, and tracing at the default `trace_sample_ratio` exporting
over OTLP/HTTP with the SDK's batch exporter to a local sink process that decodes and counts the
spans; each producer transaction runs in a span, as it would inside a traced request, so envelopes
carry `traceparent`). The second table gives, per database, on ÷ off for events/s, p50 and p99
(medians of the runs), the overhead (time per event or latency, on against off) and whether it stays
under 10 % (issue 19); "metrics only" is as shipped against off; "CPU µs/event" is the CPU time of
producer and consumer together per event in the throughput runs (less disturbed than the rates by
other work on the machine, and the share observability takes where the rates cannot show it);
"spans/event" is what reached the sink per event in the "on" runs, in batches of 100 and one event
per transaction (0 would mean the variant measured nothing).

The verdict is on events/s, p50 and p99; `--sample-ratio` measures "on" at another ratio.

    python -m bench.bus_pipeline [--events 5000] [--rate 200] [--seconds 10] [--runs 3] [--sample-ratio R]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import tempfile
import time
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opentelemetry import trace
from redis.asyncio import Redis
from sqlalchemy import Column, Integer, MetaData, String, Table

from kaleidoscope_shared.bus.consumer import EventContext, StreamConsumer
from kaleidoscope_shared.contracts import Author, EntrySubmitted
from kaleidoscope_shared.observability import tracing
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.settings import ServiceSettings
from kaleidoscope_shared.worker import build_consumer, build_relay

from ._observability import VARIANTS, Observability, TraceSink, prepare
from ._support import database_url, median, percentile, redis_url, table

STREAM_FIELD = b"envelope"
OVERHEAD_GOAL = 0.10
"""Issue 19: metrics and tracing cost under 10 % of the pipeline's time per event and latency."""


def _runtime(
    name: str, db: str, redis: str, namespace: str, observability: Observability
) -> tuple[ServiceRuntime, Table]:
    metadata = MetaData()
    applied = Table(
        "applied", metadata, Column("id", Integer, primary_key=True), Column("event_id", String(36))
    )
    settings = ServiceSettings(
        service_name=name,
        database_url=db,
        redis_url=redis,
        bus_namespace=namespace,
        log_level="WARNING",
        **observability.settings(),
    )
    runtime = ServiceRuntime.build(settings, metadata)
    if tracing.enabled() != (observability.variant == "on"):
        raise RuntimeError(f"{name}: tracing is {'on' if tracing.enabled() else 'off'}, against its variant")
    return runtime, applied


def _event(i: int) -> EntrySubmitted:
    return EntrySubmitted(
        entry_id=uuid.uuid4(),
        contest_id=uuid.uuid4(),
        revision=1,
        nomination_code="service-guide",
        title=f"Проект {i}",
        authors=[Author(full_name="Иванова Анна Петровна", territory_code="belovo", email="a@example.org")],
        submitted_at=datetime.now(UTC),
    )


# --- consumer process ----------------------------------------------------------------------------


def consume(
    kind: str,
    observability: Observability,
    db: str | None,
    redis: str,
    namespace: str,
    n: int,
    ready: Any,
    out: Any,
) -> None:
    prepare(observability.variant)
    asyncio.run(
        _consume_pipeline(db, redis, namespace, n, observability, ready, out)
        if kind == "pipeline"
        else _consume_raw(redis, namespace, n, ready, out)
    )


async def _consume_pipeline(
    db: str | None, redis: str, namespace: str, n: int, observability: Observability, ready: Any, out: Any
) -> None:
    assert db is not None
    runtime, applied = _runtime("bench-consumer", db, redis, namespace, observability)
    await runtime.open()
    latencies: list[float] = []

    async def record(ctx: EventContext, event: EntrySubmitted) -> None:
        await ctx.session.execute(applied.insert().values(event_id=str(ctx.envelope.event_id)))

    consumer = build_consumer(runtime, {EntrySubmitted: record})
    _time_commits(consumer, latencies)
    await consumer.ensure_groups()
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    cpu = time.process_time()
    ready.put(True)
    while len(latencies) < n:
        await asyncio.sleep(0.005)
    out.put((time.time(), latencies))
    stop.set()
    await task
    await runtime.close()  # exports the spans still batched
    out.put(time.process_time() - cpu)


def _time_commits(consumer: StreamConsumer, latencies: list[float]) -> None:
    """Record, right after each commit, how long each applied event took since its outbox commit."""
    acknowledge = consumer._acknowledge

    async def timed(deliveries: list[Any]) -> None:
        now = time.time()
        latencies.extend(
            now - d.envelope.occurred_at.timestamp() for d in deliveries if d.outcome == "applied"
        )
        await acknowledge(deliveries)

    consumer._acknowledge = timed  # type: ignore[method-assign]


async def _consume_raw(redis_url_: str, namespace: str, n: int, ready: Any, out: Any) -> None:
    redis = Redis.from_url(redis_url_)
    stream = f"{namespace}.raw"
    await redis.xgroup_create(stream, "raw", id="0", mkstream=True)
    cpu = time.process_time()
    ready.put(True)
    latencies: list[float] = []
    while len(latencies) < n:
        response: Any = await redis.xreadgroup("raw", "raw-1", {stream: ">"}, count=1, block=1000)
        for _stream, entries in response or []:
            for message_id, fields in entries:
                await redis.xack(stream, "raw", message_id)
                latencies.append(time.time() - float(fields[b"sent_at"]))
    out.put((time.time(), latencies))
    await redis.aclose()
    out.put(time.process_time() - cpu)


# --- producer process ----------------------------------------------------------------------------


def produce(
    kind: str,
    observability: Observability,
    db: str | None,
    redis: str,
    namespace: str,
    n: int,
    rate: float | None,
    out: Any,
) -> None:
    """Commit n events (at `rate` per second, or as fast as possible); puts the start time and the CPU
    seconds spent from then on `out`."""
    prepare(observability.variant)
    out.put(
        asyncio.run(
            _produce_raw(redis, namespace, n, rate)
            if kind == "raw"
            else _produce_pipeline(db, redis, namespace, n, rate, observability)
        )
    )


async def _produce_pipeline(
    db: str | None, redis: str, namespace: str, n: int, rate: float | None, observability: Observability
) -> tuple[float, float]:
    assert db is not None
    runtime, _ = _runtime("bench-producer", db, redis, namespace, observability)
    await runtime.open()
    stop = asyncio.Event()
    relay = asyncio.create_task(build_relay(runtime).run(stop))
    events = [_event(i) for i in range(n)]
    tracer = trace.get_tracer("bench") if tracing.enabled() else None
    started, cpu = time.time(), time.process_time()
    chunk = 1 if rate else 100
    for offset in range(0, n, chunk):
        # Traced, a service commits its outbox rows inside a request's or an event's span, and the
        # envelopes carry its `traceparent`; a span not sampled runs with instrumentation suppressed,
        # as a service's API runs an unsampled request (tracing.QuietPaths).
        with (
            tracer.start_as_current_span("bench commit") if tracer else nullcontext() as span,
            tracing.quiet() if span is not None and not span.is_recording() else nullcontext(),
        ):
            async with runtime.sessions() as session, session.begin():
                await runtime.outbox.add_all(session, events[offset : offset + chunk])
        if rate:
            await _pace(started, offset + chunk, rate)
    await _until_relayed(runtime)
    stop.set()
    await relay
    await runtime.close()  # exports the spans still batched
    return started, time.process_time() - cpu


async def _until_relayed(runtime: ServiceRuntime) -> None:
    relay = build_relay(runtime)
    while await relay.prune_and_measure():
        await asyncio.sleep(0.05)


async def _produce_raw(redis_url_: str, namespace: str, n: int, rate: float | None) -> tuple[float, float]:
    redis = Redis.from_url(redis_url_)
    body = _event(0).model_dump_json()
    started, cpu = time.time(), time.process_time()
    for i in range(n):
        await redis.xadd(f"{namespace}.raw", {"envelope": body, "sent_at": repr(time.time())})
        if rate:
            await _pace(started, i + 1, rate)
    await redis.aclose()
    return started, time.process_time() - cpu


async def _pace(started: float, done: int, rate: float) -> None:
    due = started + done / rate
    delay = due - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


# --- one measurement -----------------------------------------------------------------------------


def measure(
    kind: str,
    variant: str,
    db_backend: str | None,
    redis: str,
    n: int,
    rate: float | None,
    sink: TraceSink | None = None,
    sample_ratio: float | None = None,
) -> dict[str, float] | None:
    """One run of n events in `variant` (bench/_observability.py), producer and consumer each in a
    process of its own; "on" exports to `sink` at `sample_ratio` (None: the settings' default)."""
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    if variant == "on" and sink is None:
        raise ValueError("observability on needs a trace sink")
    observability = Observability(variant, sink.url if sink is not None else "", sample_ratio)
    with (
        tempfile.TemporaryDirectory() as folder,
        database_url(db_backend or "sqlite", Path(folder)) as producer_db,
        database_url(db_backend or "sqlite", Path(folder)) as consumer_db,
    ):
        if kind == "pipeline" and (producer_db is None or consumer_db is None):
            return None
        before = sink.counts() if sink is not None else None
        context = mp.get_context("spawn")
        ready, out, begun = context.Queue(), context.Queue(), context.Queue()
        args = (kind, observability)
        consumer = context.Process(target=consume, args=(*args, consumer_db, redis, namespace, n, ready, out))
        consumer.start()
        ready.get(timeout=60)
        producer = context.Process(
            target=produce, args=(*args, producer_db, redis, namespace, n, rate, begun)
        )
        producer.start()
        started, producer_cpu = begun.get(timeout=600)
        finished, latencies = out.get(timeout=600)
        consumer_cpu = out.get(timeout=60)
        producer.join(timeout=30)
        consumer.join(timeout=30)
        spans = sink.counts().since(before).total_spans if sink is not None and before is not None else 0
    asyncio.run(_drop_namespace(redis, namespace))
    return {
        "rate": n / (finished - started),
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "spans": spans / n,
        "cpu_us": (producer_cpu + consumer_cpu) / n * 1e6,
    }


async def _drop_namespace(redis_url_: str, namespace: str) -> None:
    redis = Redis.from_url(redis_url_)
    keys = [key async for key in redis.scan_iter(match=f"{namespace}.*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


# --- the report ----------------------------------------------------------------------------------

SUFFIX = {"shipped": "", "off": ", observability off", "on": ", observability on"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the fixed-rate run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--sample-ratio",
        type=float,
        default=None,
        help="trace_sample_ratio of the observability-on processes (default: the settings' default)",
    )
    args = parser.parse_args()
    paced = int(args.rate * args.seconds)
    rows: list[list[str]] = []
    overheads: list[list[str]] = []
    with redis_url() as redis, TraceSink() as sink:
        flat = [measure("raw", "shipped", None, redis, args.events, None) for _ in range(args.runs)]
        steady = [measure("raw", "shipped", None, redis, paced, args.rate) for _ in range(args.runs)]
        rows.append(["raw redis-py, one at a time (baseline)", *_summarise(flat, steady)])  # type: ignore[arg-type]
        for backend, name in [("sqlite", "SQLite"), ("postgresql", "PostgreSQL")]:
            label = f"outbox → relay → consumer + inbox, {name}"
            runs = _variant_runs(backend, redis, sink, args)
            if runs is None:
                rows += [[label + SUFFIX[v], "no server", "", "", "", ""] for v in ("shipped", "off", "on")]
                overheads.append([name, "no server", "", "", "", "", "", ""])
                continue
            for variant in ("shipped", "off", "on"):
                rows.append([label + SUFFIX[variant], *_summarise(*runs[variant])])
            overheads.append([name, *_overhead(runs)])
    baseline = float(rows[0][1])
    for row in rows:
        row.insert(2, f"{float(row[1]) / baseline:.2f}" if row[1] not in ("no server",) else "")
    print(
        table(
            [
                "pipeline",
                "events/s (median)",
                "× baseline",
                f"p50 ms at {args.rate:.0f}/s",
                f"p99 ms at {args.rate:.0f}/s",
                "p99 range ms",
            ],
            rows,
        )
    )
    default = ServiceSettings.model_fields["trace_sample_ratio"].default
    ratio = f"{default} (the default)" if args.sample_ratio is None else f"{args.sample_ratio}"
    print(
        f"\nObservability on ÷ off (medians; tracing at sample ratio {ratio}, OTLP/HTTP to a local sink):\n"
    )
    print(
        table(
            [
                "database",
                "events/s on ÷ off",
                f"p50 on ÷ off at {args.rate:.0f}/s",
                f"p99 on ÷ off at {args.rate:.0f}/s",
                "metrics only: events/s, p50, p99",
                "CPU µs/event off → on",
                "spans/event (on): batches, paced",
                f"overhead under {OVERHEAD_GOAL:.0%}",
            ],
            overheads,
        )
    )
    print(
        f"\n{args.runs} runs each; throughput over {args.events} events, latency over {paced} events paced at {args.rate:.0f}/s."
    )
    print("Targets: pipeline on SQLite ≥ 1,500 events/s; p99 ≤ 25 ms at 200 events/s.")
    print(
        f"Overhead: events/s off ÷ on − 1 (time per event), latency on ÷ off − 1; goal under {OVERHEAD_GOAL:.0%} (issue 19)."
    )


Runs = dict[str, tuple[list[dict[str, float]], list[dict[str, float]]]]


def _variant_runs(backend: str, redis: str, sink: TraceSink, args: argparse.Namespace) -> Runs | None:
    """Each run measures every variant once, in an order turned by one each run."""
    results: Runs = {v: ([], []) for v in VARIANTS}
    paced = int(args.rate * args.seconds)
    for run in range(args.runs):
        for variant in VARIANTS[run % len(VARIANTS) :] + VARIANTS[: run % len(VARIANTS)]:
            flat = measure("pipeline", variant, backend, redis, args.events, None, sink, args.sample_ratio)
            steady = measure("pipeline", variant, backend, redis, paced, args.rate, sink, args.sample_ratio)
            if flat is None or steady is None:
                return None
            results[variant][0].append(flat)
            results[variant][1].append(steady)
    sampled = args.sample_ratio is None or args.sample_ratio > 0
    if sampled and not all(r["spans"] > 0 for r in results["on"][0] + results["on"][1]):
        raise RuntimeError("observability on: a run exported no span to the sink")
    if any(r["spans"] for v in ("off", "shipped") for r in results[v][0] + results[v][1]):
        raise RuntimeError("a run with tracing off exported spans")
    return results


def _summarise(flat: list[dict[str, float]], steady: list[dict[str, float]]) -> list[str]:
    p99s = [s["p99"] for s in steady]
    return [
        f"{median([f['rate'] for f in flat]):.0f}",
        f"{median([s['p50'] for s in steady]):.1f}",
        f"{median(p99s):.1f}",
        f"{min(p99s):.1f}–{max(p99s):.1f}",
    ]


def _overhead(runs: Runs) -> list[str]:
    """On ÷ off for events/s, p50 and p99; as shipped ÷ off; spans per event; the verdict."""

    def figures(variant: str) -> tuple[float, float, float]:
        flat, steady = runs[variant]
        return (
            median([f["rate"] for f in flat]),
            median([s["p50"] for s in steady]),
            median([s["p99"] for s in steady]),
        )

    off, on, shipped = figures("off"), figures("on"), figures("shipped")
    costs = [off[0] / on[0] - 1, on[1] / off[1] - 1, on[2] / off[2] - 1]
    over = [
        name for name, cost in zip(("events/s", "p50", "p99"), costs, strict=True) if cost >= OVERHEAD_GOAL
    ]
    flat, steady = runs["on"]
    cpu_off, cpu_on = (median([f["cpu_us"] for f in runs[variant][0]]) for variant in ("off", "on"))
    return [
        f"{on[0] / off[0]:.2f} ({costs[0]:+.0%})",
        f"{on[1] / off[1]:.2f} ({costs[1]:+.0%})",
        f"{on[2] / off[2]:.2f} ({costs[2]:+.0%})",
        f"{shipped[0] / off[0]:.2f}, {shipped[1] / off[1]:.2f}, {shipped[2] / off[2]:.2f}",
        f"{cpu_off:.0f} → {cpu_on:.0f} ({cpu_on / cpu_off - 1:+.0%})",
        f"{median([r['spans'] for r in flat]):.1f}, {median([r['spans'] for r in steady]):.1f}",
        "yes" if not over else f"no: {', '.join(over)}",
    ]


if __name__ == "__main__":
    main()
