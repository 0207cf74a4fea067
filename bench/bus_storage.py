"""Redis memory over a million events, with the relay's stream trimming and without (the baseline).

A Redis (Valkey) of the benchmark's own holds one stream; events (the size of a real EntrySubmitted
envelope) are added in pipelines of `--chunk`, and one consumer group reads and acknowledges each chunk
as a service would. With trimming, the relay's pruning pass (`OutboxRelay.trim_streams`, the code a
worker runs once a minute, here with `STREAM_RETENTION_S` 0 and every `--trim-every` events) trims the
stream to what the group still needs; the baseline runs the same without it. Printed per step: Redis's
`used_memory` above what it used before the run, and the stream's length, for both.

    .venv/bin/python -m bench.bus_storage [--events 1000000] [--chunk 10000] [--trim-every 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import MetaData

from kaleidoscope_cli.embedded_redis import RedisServer
from kaleidoscope_shared.bus.relay import OutboxRelay
from kaleidoscope_shared.contracts import Author, EntrySubmitted, Envelope
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.settings import ServiceSettings
from kaleidoscope_shared.worker import build_relay

from ._support import table

GROUP = "reader"
FLAT = 1.5
"""Trimmed memory at the end within this factor of the memory at the first step: flat."""


def envelopes(count: int) -> list[str]:
    """`count` distinct envelopes, each the size of a real one (cycled over the run)."""
    return [
        Envelope.wrap(
            EntrySubmitted(
                entry_id=uuid.uuid4(),
                contest_id=uuid.uuid4(),
                revision=1,
                nomination_code="service-guide",
                title=f"Проект {i}: квест по истории малой родины",
                authors=[
                    Author(full_name="Иванова Анна Петровна", territory_code="belovo", email="a@example.org")
                ],
                submitted_at=datetime.now(UTC),
            ),
            producer="bench",
        ).model_dump_json()
        for i in range(count)
    ]


async def used_memory(redis: Redis) -> int:
    info: dict[str, Any] = await redis.info("memory")
    return int(info["used_memory"])


async def run(
    redis: Redis, relay: OutboxRelay | None, stream: str, args: argparse.Namespace, bodies: list[str]
) -> list[tuple[int, int, int, int]]:
    """(events so far, used memory above the start before the trim and after it, stream length after)
    every `trim_every` events."""
    await redis.delete(stream)
    await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
    start = await used_memory(redis)
    steps: list[tuple[int, int, int, int]] = []
    added = 0
    while added < args.events:
        async with redis.pipeline(transaction=False) as pipe:
            for i in range(args.chunk):
                pipe.xadd(stream, {"envelope": bodies[(added + i) % len(bodies)]})
            await pipe.execute()
        added += args.chunk
        read: Any = await redis.xreadgroup(GROUP, "c", {stream: ">"}, count=args.chunk)
        ids = [message_id for message_id, _ in read[0][1]]
        await redis.xack(stream, GROUP, *ids)
        if added % args.trim_every == 0:
            before = await used_memory(redis) - start
            if relay is not None:
                await relay.trim_streams({stream})
            steps.append((added, before, await used_memory(redis) - start, int(await redis.xlen(stream))))
    await redis.delete(stream)
    return steps


async def measure(args: argparse.Namespace, folder: Path, url: str) -> None:
    settings = ServiceSettings(
        service_name="bench-storage",
        database_url=f"sqlite+aiosqlite:///{folder}/bench.db",
        redis_url=url,
        bus_namespace=f"bench-{uuid.uuid4().hex[:8]}",
        stream_retention_s=0,
        log_level="WARNING",
    )
    runtime = ServiceRuntime.build(settings, MetaData())
    await runtime.open()
    try:
        relay = build_relay(runtime)
        bodies = envelopes(1000)
        stream = EntrySubmitted.stream(settings.bus_namespace)
        trimmed = await run(runtime.redis, relay, stream, args, bodies)
        untrimmed = await run(runtime.redis, None, stream, args, bodies)
    finally:
        await runtime.close()
    size = sum(len(b) for b in bodies) // len(bodies)
    rows = [
        (
            f"{events:,}",
            f"{before / 2**20:,.1f} → {memory / 2**20:,.1f} MiB",
            f"{length:,}",
            f"{base_memory / 2**20:,.1f} MiB",
            f"{base_length:,}",
        )
        for (events, before, memory, length), (_, _, base_memory, base_length) in zip(
            trimmed, untrimmed, strict=True
        )
    ]
    print(
        f"## Redis memory over {args.events:,} events ({size} bytes each; trimmed every {args.trim_every:,})\n"
    )
    print(
        table(
            [
                "events",
                "used memory, trimmed: before → after the trim",
                "stream length, trimmed",
                "used memory, not trimmed (baseline)",
                "stream length, not trimmed",
            ],
            rows,
        )
    )
    first, last = trimmed[0][1], trimmed[-1][1]  # before the trim: the most the stream holds
    flat = last <= FLAT * max(first, 1)
    print(
        f"\ntrimmed: at most {last / 2**20:,.1f} MiB at the end against {first / 2**20:,.1f} at the first "
        f"step ({'flat' if flat else 'GROWING'}); not trimmed: {untrimmed[-1][2] / 2**20:,.1f} MiB, "
        f"ratio trimmed (at most) ÷ not {last / max(untrimmed[-1][2], 1):.3f}"
    )
    if not flat:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--trim-every", type=int, default=100_000)
    args = parser.parse_args()
    if args.trim_every % args.chunk or args.events % args.trim_every:
        parser.error("--trim-every must be a multiple of --chunk, and --events of --trim-every")
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as folder:
        server = RedisServer(Path(folder) / "redis").start()
        try:
            asyncio.run(measure(args, Path(folder), server.url))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
