"""The bus end to end: outbox commit → relay → Redis stream → consumer's inbox commit.

Producer and consumer run as two processes with their own databases, as two services do. Measured:
events/s when the producer commits as fast as it can (transactions of 100 events), and latency
percentiles at a fixed offered rate (one event per transaction). Baseline, in the same run and the
same two-process shape: raw redis-py, XADD → XREADGROUP → XACK one message at a time.

    python -m bench.bus_pipeline [--events 5000] [--rate 200] [--seconds 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import Column, Integer, MetaData, String, Table

from kaleidoscope_shared.bus.consumer import EventContext, StreamConsumer
from kaleidoscope_shared.contracts import Author, EntrySubmitted, Envelope
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.settings import ServiceSettings
from kaleidoscope_shared.worker import build_consumer, build_relay

from ._support import database_url, median, percentile, redis_url, table

STREAM_FIELD = b"envelope"


def _runtime(name: str, db: str, redis: str, namespace: str) -> tuple[ServiceRuntime, Table]:
    metadata = MetaData()
    applied = Table(
        "applied", metadata, Column("id", Integer, primary_key=True), Column("event_id", String(36))
    )
    settings = ServiceSettings(
        service_name=name, database_url=db, redis_url=redis, bus_namespace=namespace, log_level="WARNING"
    )
    return ServiceRuntime.build(settings, metadata), applied


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


def consume(kind: str, db: str | None, redis: str, namespace: str, n: int, ready: Any, out: Any) -> None:
    asyncio.run(
        _consume_pipeline(db, redis, namespace, n, ready, out)
        if kind == "pipeline"
        else _consume_raw(redis, namespace, n, ready, out)
    )


async def _consume_pipeline(db: str | None, redis: str, namespace: str, n: int, ready: Any, out: Any) -> None:
    assert db is not None
    runtime, applied = _runtime("bench-consumer", db, redis, namespace)
    await runtime.open()
    latencies: list[float] = []

    async def record(ctx: EventContext, event: EntrySubmitted) -> None:
        await ctx.session.execute(applied.insert().values(event_id=str(ctx.envelope.event_id)))

    consumer = build_consumer(runtime, {EntrySubmitted: record})
    _time_commits(consumer, latencies)
    await consumer.ensure_groups()
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    ready.put(True)
    while len(latencies) < n:
        await asyncio.sleep(0.005)
    out.put((time.time(), latencies))
    stop.set()
    await task
    await runtime.close()


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
    ready.put(True)
    latencies: list[float] = []
    while len(latencies) < n:
        response = await redis.xreadgroup("raw", "raw-1", {stream: ">"}, count=1, block=1000)
        for _stream, entries in response or []:
            for message_id, fields in entries:
                await redis.xack(stream, "raw", message_id)
                latencies.append(time.time() - float(fields[b"sent_at"]))
    out.put((time.time(), latencies))
    await redis.aclose()


# --- producer (this process) ---------------------------------------------------------------------


async def produce(kind: str, db: str | None, redis: str, namespace: str, n: int, rate: float | None) -> float:
    """Commit n events (at `rate` per second, or as fast as possible); returns the start time."""
    if kind == "raw":
        return await _produce_raw(redis, namespace, n, rate)
    assert db is not None
    runtime, _ = _runtime("bench-producer", db, redis, namespace)
    await runtime.open()
    stop = asyncio.Event()
    relay = asyncio.create_task(build_relay(runtime).run(stop))
    events = [_event(i) for i in range(n)]
    started = time.time()
    chunk = 1 if rate else 100
    for offset in range(0, n, chunk):
        async with runtime.sessions() as session, session.begin():
            envelopes = [Envelope.wrap(e, producer="bench") for e in events[offset : offset + chunk]]
            await runtime.outbox.add_envelopes(session, envelopes)
        if rate:
            await _pace(started, offset + chunk, rate)
    await _until_relayed(runtime)
    stop.set()
    await relay
    await runtime.close()
    return started


async def _until_relayed(runtime: ServiceRuntime) -> None:
    relay = build_relay(runtime)
    while await relay.prune_and_measure():
        await asyncio.sleep(0.05)


async def _produce_raw(redis_url_: str, namespace: str, n: int, rate: float | None) -> float:
    redis = Redis.from_url(redis_url_)
    body = _event(0).model_dump_json()
    started = time.time()
    for i in range(n):
        await redis.xadd(f"{namespace}.raw", {"envelope": body, "sent_at": repr(time.time())})
        if rate:
            await _pace(started, i + 1, rate)
    await redis.aclose()
    return started


async def _pace(started: float, done: int, rate: float) -> None:
    due = started + done / rate
    delay = due - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


# --- one measurement -----------------------------------------------------------------------------


def measure(
    kind: str, db_backend: str | None, redis: str, n: int, rate: float | None
) -> dict[str, float] | None:
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    with (
        tempfile.TemporaryDirectory() as folder,
        database_url(db_backend or "sqlite", Path(folder)) as producer_db,
        database_url(db_backend or "sqlite", Path(folder)) as consumer_db,
    ):
        if kind == "pipeline" and (producer_db is None or consumer_db is None):
            return None
        context = mp.get_context("spawn")
        ready, out = context.Queue(), context.Queue()
        child = context.Process(target=consume, args=(kind, consumer_db, redis, namespace, n, ready, out))
        child.start()
        ready.get(timeout=60)
        started = asyncio.run(produce(kind, producer_db, redis, namespace, n, rate))
        finished, latencies = out.get(timeout=600)
        child.join(timeout=30)
    asyncio.run(_drop_namespace(redis, namespace))
    return {
        "rate": n / (finished - started),
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
    }


async def _drop_namespace(redis_url_: str, namespace: str) -> None:
    redis = Redis.from_url(redis_url_)
    keys = [key async for key in redis.scan_iter(match=f"{namespace}.*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the fixed-rate run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    paced = int(args.rate * args.seconds)
    rows = []
    with redis_url() as redis:
        for label, kind, backend in [
            ("raw redis-py, one at a time (baseline)", "raw", None),
            ("outbox → relay → consumer + inbox, SQLite", "pipeline", "sqlite"),
            ("outbox → relay → consumer + inbox, PostgreSQL", "pipeline", "postgresql"),
        ]:
            flat = [measure(kind, backend, redis, args.events, None) for _ in range(args.runs)]
            steady = [measure(kind, backend, redis, paced, args.rate) for _ in range(args.runs)]
            if None in flat or None in steady:
                rows.append([label, "no server", "", "", ""])
                continue
            rows.append([label, *_summarise(flat, steady)])  # type: ignore[arg-type]
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
    print(
        f"\n{args.runs} runs each; throughput over {args.events} events, latency over {paced} events paced at {args.rate:.0f}/s."
    )
    print("Targets: pipeline on SQLite ≥ 1,500 events/s; p99 ≤ 25 ms at 200 events/s.")


def _summarise(flat: list[dict[str, float]], steady: list[dict[str, float]]) -> list[str]:
    p99s = [s["p99"] for s in steady]
    return [
        f"{median([f['rate'] for f in flat]):.0f}",
        f"{median([s['p50'] for s in steady]):.1f}",
        f"{median(p99s):.1f}",
        f"{min(p99s):.1f}–{max(p99s):.1f}",
    ]


if __name__ == "__main__":
    main()
