"""How long an event takes from its outbox commit to its consumer's commit, at a steady offered rate.

Three processes, as in the running system: a producer committing one event per transaction at the
offered rate (as an API does), the producer's relay (its worker), and a consumer applying each event
with its inbox row in its own database (another service's worker). The producer notes the moment each
transaction committed, the consumer the moment the transaction that applied the event committed; the
latency is the difference (one machine, one clock).

Baseline in the same run: the old relay — no nudge after commit, polling its outbox every 10 ms
(`relay_nudge=False`, `relay_poll_interval_s=0.01`). Now: the defaults (a nudge after each commit
wakes the relay; a 2 s poll as the safety net).

    python -m bench.bus_latency [--rate 200] [--seconds 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import Column, Integer, MetaData, String, Table

from kaleidoscope_shared.bus.consumer import EventContext
from kaleidoscope_shared.contracts import Author, EntrySubmitted
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.settings import ServiceSettings
from kaleidoscope_shared.worker import build_consumer, build_relay

from ._support import database_url, median, percentile, redis_url, table

TARGET_P99_MS = 10.0
OLD_RELAY: dict[str, Any] = {"relay_nudge": False, "relay_poll_interval_s": 0.01}


def _runtime(name: str, db: str, redis: str, namespace: str, **settings: Any) -> tuple[ServiceRuntime, Table]:
    metadata = MetaData()
    applied = Table(
        "applied", metadata, Column("id", Integer, primary_key=True), Column("event_id", String(36))
    )
    chosen = ServiceSettings(
        service_name=name,
        database_url=db,
        redis_url=redis,
        bus_namespace=namespace,
        log_level="WARNING",
        **settings,
    )
    return ServiceRuntime.build(chosen, metadata), applied


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


# --- the consumer's process ----------------------------------------------------------------------


def consume(db: str, redis: str, namespace: str, n: int, ready: Any, out: Any) -> None:
    asyncio.run(_consume(db, redis, namespace, n, ready, out))


async def _consume(db: str, redis: str, namespace: str, n: int, ready: Any, out: Any) -> None:
    runtime, applied = _runtime("bench-consumer", db, redis, namespace)
    await runtime.open()
    in_batch: list[str] = []
    applied_at: dict[str, float] = {}

    async def record(ctx: EventContext, event: EntrySubmitted) -> None:
        await ctx.session.execute(applied.insert().values(event_id=str(ctx.envelope.event_id)))
        in_batch.append(str(ctx.envelope.event_id))

    def committed() -> None:  # right after the transaction that applied them
        now = time.time()
        applied_at.update(dict.fromkeys(in_batch, now))
        in_batch.clear()

    consumer = build_consumer(runtime, {EntrySubmitted: record}, on_applied=committed)
    await consumer.ensure_groups()
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    ready.put(True)
    while len(applied_at) < n:
        await asyncio.sleep(0.02)
    stop.set()
    await task
    await runtime.close()
    out.put(applied_at)


# --- the relay's process (the producer's worker) -------------------------------------------------


def relay(db: str, redis: str, namespace: str, settings: dict[str, Any], ready: Any, done: Any) -> None:
    asyncio.run(_relay(db, redis, namespace, settings, ready, done))


async def _relay(
    db: str, redis: str, namespace: str, settings: dict[str, Any], ready: Any, done: Any
) -> None:
    runtime, _ = _runtime("bench-producer", db, redis, namespace, **settings)
    await runtime.open()
    stop = asyncio.Event()
    task = asyncio.create_task(build_relay(runtime).run(stop))
    await asyncio.sleep(0.5)  # subscribed to its nudges
    ready.put(True)
    while done.empty():
        await asyncio.sleep(0.1)
    stop.set()
    await task
    await runtime.close()


# --- the producer (this process) -----------------------------------------------------------------


async def produce(
    db: str, redis: str, namespace: str, settings: dict[str, Any], n: int, rate: float
) -> dict[str, float]:
    """Commit n events, one per transaction, at `rate` per second; returns each one's commit moment."""
    runtime, _ = _runtime("bench-producer", db, redis, namespace, **settings)
    await runtime.open()
    events = [_event(i) for i in range(n)]
    committed: dict[str, float] = {}
    started = time.time()
    for index, event in enumerate(events):
        async with runtime.sessions() as session:
            async with session.begin():
                envelope = await runtime.outbox.add(session, event)
            committed[str(envelope.event_id)] = time.time()
        delay = started + (index + 1) / rate - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
    await runtime.close()
    return committed


async def _prepare(db: str, redis: str, namespace: str) -> None:
    runtime, _ = _runtime("bench-producer", db, redis, namespace)
    await runtime.open()  # the tables, before two processes race to create them
    await runtime.close()


def measure(
    backend: str, redis: str, settings: dict[str, Any], n: int, rate: float
) -> dict[str, float] | None:
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    with (
        tempfile.TemporaryDirectory() as folder,
        database_url(backend, Path(folder)) as producer_db,
        database_url(backend, Path(folder)) as consumer_db,
    ):
        if producer_db is None or consumer_db is None:
            return None
        asyncio.run(_prepare(producer_db, redis, namespace))
        context = mp.get_context("spawn")
        ready, out, done = context.Queue(), context.Queue(), context.Queue()
        consumer = context.Process(target=consume, args=(consumer_db, redis, namespace, n, ready, out))
        relayer = context.Process(target=relay, args=(producer_db, redis, namespace, settings, ready, done))
        consumer.start()
        relayer.start()
        ready.get(timeout=60)
        ready.get(timeout=60)
        committed = asyncio.run(produce(producer_db, redis, namespace, settings, n, rate))
        applied_at = out.get(timeout=600)
        done.put(True)
        consumer.join(timeout=30)
        relayer.join(timeout=30)
    asyncio.run(_drop_namespace(redis, namespace))
    latencies = [applied_at[event_id] - moment for event_id, moment in committed.items()]
    return {
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "max": max(latencies) * 1000,
    }


async def _drop_namespace(redis_url_: str, namespace: str) -> None:
    redis = Redis.from_url(redis_url_)
    keys = [key async for key in redis.scan_iter(match=f"{namespace}.*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0, help="events offered per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n = int(args.rate * args.seconds)
    load_before = os.getloadavg()[0]
    rows: list[list[object]] = []
    with redis_url() as redis:
        for backend, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            old: list[dict[str, float] | None] = []
            new: list[dict[str, float] | None] = []
            for _ in range(args.runs):  # interleaved, so both see the same machine
                old.append(measure(backend, redis, OLD_RELAY, n, args.rate))
                new.append(measure(backend, redis, {}, n, args.rate))
            if None in old or None in new:
                rows.append([label, "no server", "", "", "", "", ""])
                continue
            was = [r for r in old if r is not None]
            now = [r for r in new if r is not None]
            p99 = median([r["p99"] for r in now])
            rows.append(
                [
                    label,
                    f"{median([r['p50'] for r in was]):.1f}",
                    f"{median([r['p99'] for r in was]):.1f}",
                    f"{median([r['p50'] for r in now]):.1f}",
                    f"{p99:.1f}",
                    f"{min(r['p99'] for r in now):.1f}–{max(r['p99'] for r in now):.1f}",
                    "yes" if p99 <= TARGET_P99_MS else "NO",
                ]
            )
    print(
        table(
            [
                "database",
                "baseline p50 ms",
                "baseline p99 ms",
                "p50 ms (median)",
                "p99 ms (median)",
                "p99 range ms",
                f"p99 ≤ {TARGET_P99_MS:.0f} ms",
            ],
            rows,
        )
    )
    print(
        f"\nOutbox commit → consumer's commit, {n} events paced at {args.rate:.0f}/s (one per transaction), "
        f"{args.runs} runs each, baseline and now interleaved. Baseline: no nudge, the relay polling every "
        "10 ms (the old defaults). Now: a nudge after each commit, a 2 s safety-net poll."
    )
    print(_load_note(load_before))


def _load_note(before: float) -> str:
    return (
        f"Load average (1 min) {before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on "
        f"{os.cpu_count()} CPUs: other work on the machine slows every figure here."
    )


if __name__ == "__main__":
    main()
