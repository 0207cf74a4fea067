"""Memory under a steady load: the bus pipeline at 200 events/s for `--minutes`, each process's RSS
sampled every `--sample-s` seconds, and its slope.

Producer (its outbox commits, one event each, and its relay) and consumer (its consumer group and
inbox) run as two processes with their own SQLite databases and the services' runtime (observability
as shipped). The harness keeps nothing per event in either process (events are made as they are
committed; the consumer only counts), so what grows is the service code's.
Printed per process: RSS when idle (the consumer, started and waiting, before the first event: the
baseline of the same run; the producer produces from its start), after the first minute of load, at the end, and the slope of a least-squares line through the samples
after the first minute, in MiB per minute; growth is a slope over `--max-slope` MiB/min (default 0.5:
30 MiB an hour).

    .venv/bin/python -m bench.bus_soak [--minutes 10] [--rate 200] [--sample-s 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table

from kaleidoscope_shared.bus.consumer import EventContext
from kaleidoscope_shared.contracts import EntrySubmitted
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.settings import ServiceSettings
from kaleidoscope_shared.worker import build_consumer, build_relay

from ._support import database_url, redis_url, table
from .bus_pipeline import _drop_namespace, _event, _pace

WARM_UP_S = 60.0


def _runtime(name: str, db: str, redis: str, namespace: str) -> tuple[ServiceRuntime, Table]:
    metadata = MetaData()
    applied = Table(
        "applied", metadata, Column("id", Integer, primary_key=True), Column("event_id", String(36))
    )
    settings = ServiceSettings(
        service_name=name, database_url=db, redis_url=redis, bus_namespace=namespace, log_level="WARNING"
    )
    return ServiceRuntime.build(settings, metadata), applied


def consume(db: str, redis: str, namespace: str, n: int, ready: Any, out: Any) -> None:
    asyncio.run(_consume(db, redis, namespace, n, ready, out))


async def _consume(db: str, redis: str, namespace: str, n: int, ready: Any, out: Any) -> None:
    runtime, applied = _runtime("soak-consumer", db, redis, namespace)
    await runtime.open()
    count = 0

    async def record(ctx: EventContext, event: EntrySubmitted) -> None:
        nonlocal count
        await ctx.session.execute(applied.insert().values(event_id=str(ctx.envelope.event_id)))
        count += 1

    consumer = build_consumer(runtime, {EntrySubmitted: record})
    await consumer.ensure_groups()
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    ready.put(True)
    while count < n:
        await asyncio.sleep(0.2)
    stop.set()
    await task
    await runtime.close()
    out.put(count)


def produce(db: str, redis: str, namespace: str, n: int, rate: float, out: Any) -> None:
    asyncio.run(_produce(db, redis, namespace, n, rate, out))


async def _produce(db: str, redis: str, namespace: str, n: int, rate: float, out: Any) -> None:
    runtime, _ = _runtime("soak-producer", db, redis, namespace)
    await runtime.open()
    stop = asyncio.Event()
    relay = asyncio.create_task(build_relay(runtime).run(stop))
    started = time.time()
    for i in range(n):
        async with runtime.sessions() as session, session.begin():
            await runtime.outbox.add(session, _event(i))
        await _pace(started, i + 1, rate)
    stop.set()
    await relay
    await runtime.close()
    out.put(n)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB), in MiB per minute."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    num = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    den = sum((t - mean_t) ** 2 for t, _ in samples)
    return num / den * 60 if den else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--sample-s", type=float, default=5.0)
    parser.add_argument("--max-slope", type=float, default=0.5)
    args = parser.parse_args()
    n = int(args.rate * args.minutes * 60)
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    samples: dict[str, list[tuple[float, float]]] = {"producer": [], "consumer": []}
    idle: dict[str, float] = {}
    with (
        redis_url() as redis,
        tempfile.TemporaryDirectory() as folder,
        database_url("sqlite", Path(folder)) as producer_db,
        database_url("sqlite", Path(folder)) as consumer_db,
    ):
        context = mp.get_context("spawn")
        ready, out, begun = context.Queue(), context.Queue(), context.Queue()
        assert producer_db is not None and consumer_db is not None
        consumer = context.Process(target=consume, args=(consumer_db, redis, namespace, n, ready, out))
        consumer.start()
        ready.get(timeout=60)
        time.sleep(2)
        assert consumer.pid is not None
        idle["consumer"] = rss_mib(consumer.pid)
        producer = context.Process(target=produce, args=(producer_db, redis, namespace, n, args.rate, begun))
        producer.start()
        assert producer.pid is not None
        started = time.monotonic()
        pids = {"producer": producer.pid, "consumer": consumer.pid}
        while producer.is_alive() and consumer.is_alive():
            elapsed = time.monotonic() - started
            for name, pid in pids.items():
                with contextlib.suppress(FileNotFoundError, RuntimeError):  # a process that just ended
                    samples[name].append((elapsed, rss_mib(pid)))
            if not begun.empty() and not out.empty():
                break
            time.sleep(args.sample_s)
        begun.get(timeout=600)
        out.get(timeout=600)
        producer.join(timeout=30)
        consumer.join(timeout=30)
        asyncio.run(_drop_namespace(redis, namespace))
    rows = []
    growing = []
    for name in ("producer", "consumer"):
        loaded = [(t, m) for t, m in samples[name] if t >= WARM_UP_S]
        rate = slope(loaded)
        if rate > args.max_slope:
            growing.append(name)
        rows.append(
            (
                name,
                f"{idle[name]:.1f}" if name in idle else "— (produces from its start)",
                f"{loaded[0][1]:.1f}" if loaded else "—",
                f"{samples[name][-1][1]:.1f}" if samples[name] else "—",
                f"{rate:+.3f}",
                len(loaded),
            )
        )
    print(f"## RSS under {args.rate:.0f} events/s for {args.minutes:g} min (SQLite, as shipped)\n")
    print(
        table(
            [
                "process",
                "RSS idle (baseline), MiB",
                "after the first minute, MiB",
                "at the end, MiB",
                "slope after the first minute, MiB/min",
                "samples",
            ],
            rows,
        )
    )
    print(f"\ngrowth: a slope over {args.max_slope} MiB/min — {', '.join(growing) if growing else 'none'}")
    if growing:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
