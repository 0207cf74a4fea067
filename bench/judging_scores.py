"""Benchmark of scoring during a final: accepted scores per second and latency with 1, 2 and 4
judging API processes (uvicorn) on one PostgreSQL database — the scaling curve.

For each process count: a fresh database, a contest taken in through judging's own event handlers,
50 jurors registered and a stage opened over the API, then every juror scores every assigned entry
(and revises `--revisions` times) with one request in flight per juror, spread over the processes.
Every score is validated and appended to the contest's hash-chained audit log, whose head is one row
per contest: that row serialises the writes, so the curve shows how far extra processes help.
The 1-process run is the baseline the others are compared with.

    .venv/bin/python -m bench.judging_scores [--processes 1,2,4] [--jurors 50] [--entries 34]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from judging.bootstrap import bootstrap
from judging.service_layer.entries import close_submissions, record_contest, record_entry
from judging.settings import JudgingSettings
from kaleidoscope_cli.embedded_redis import free_port
from kaleidoscope_cli.readiness import wait_until_answering
from kaleidoscope_shared.bus.consumer import EventContext
from kaleidoscope_shared.contracts import (
    Author,
    ContestAnnounced,
    EntryRef,
    EntrySubmitted,
    Envelope,
    Nomination,
    SubmissionsClosed,
)

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
ORGANISER = {"Authorization": "Bearer organiser-dev-token"}
NOMINATIONS = ("service-guide", "information-collection", "idea-generator")
STAGE = {
    "name": "final",
    "kind": "review",
    "criteria": [
        {"name": n, "weight": 1, "scale_min": 0, "scale_max": 10} for n in ("defence", "impact", "novelty")
    ],
    "advancement": {"rule": "top_per_nomination", "n": 1},
}


async def admin(statement: str) -> None:
    connection = await asyncpg.connect(database="postgres", **PG)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def take_in_contest(database_url: str, entries: int) -> uuid.UUID:
    """Announce a contest, submit its entries and close submissions, through judging's handlers."""
    runtime = bootstrap(JudgingSettings(database_url=database_url, log_level="WARNING"))
    await runtime.open()
    contest = uuid.uuid4()
    start = datetime(2024, 3, 1, tzinfo=UTC)
    submitted = [
        EntrySubmitted(
            entry_id=uuid.uuid4(),
            contest_id=contest,
            revision=1,
            nomination_code=NOMINATIONS[i % 3],
            title=f"Entry {i}",
            authors=[Author(full_name=f"Author {i}", library=f"Library {i}", territory_code=f"t{i % 19}")],
            submitted_at=start + timedelta(minutes=i),
        )
        for i in range(entries)
    ]
    announced = ContestAnnounced(
        contest_id=contest,
        title="Bench",
        nominations=[Nomination(code=c, title=c) for c in NOMINATIONS],
        territories=[],
        submissions_open_at=start,
        submissions_close_at=start + timedelta(days=1),
    )
    closed = SubmissionsClosed(
        contest_id=contest,
        closed_at=start,
        closed_by="organiser",
        entries=[EntryRef(entry_id=e.entry_id, revision=1) for e in submitted],
    )
    steps: list[tuple[Any, Any]] = [
        (record_contest, announced),
        *((record_entry, e) for e in submitted),
        (close_submissions, closed),
    ]
    try:
        for handler, event in steps:
            async with runtime.sessions() as session, session.begin():
                envelope = Envelope.wrap(
                    event, producer="submissions", contest_id=contest, correlation_id=uuid.uuid4()
                )
                await handler(EventContext(session, envelope, runtime.outbox), event)
    finally:
        await runtime.close()
    return contest


def start_apis(count: int, database_url: str) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    env = {
        **os.environ,
        "JUDGING_DATABASE_URL": database_url,
        "JUDGING_BUS_NAMESPACE": f"bench-{uuid.uuid4().hex[:8]}",
        "JUDGING_LOG_LEVEL": "WARNING",
    }
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "judging", "api", "--port", str(p)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    wait_until_answering([f"{url}/ready" for url in urls], 60)
    return processes, urls


async def prepare(
    urls: list[str], contest: uuid.UUID, jurors: int
) -> tuple[dict[str, Any], list[tuple[str, list[str]]]]:
    async with httpx.AsyncClient(timeout=60) as client:
        tokens = []
        for i in range(jurors):
            body = {"name": f"Juror {i}", "library": f"Juror library {i}"}
            tokens.append(
                (
                    await client.post(f"{urls[0]}/contests/{contest}/jurors", json=body, headers=ORGANISER)
                ).json()["token"]
            )
        stage = (
            await client.post(f"{urls[0]}/contests/{contest}/stages", json=STAGE, headers=ORGANISER)
        ).json()
        await client.post(f"{urls[0]}/contests/{contest}/stages/{stage['id']}/open", headers=ORGANISER)
        plan = []
        for token in tokens:
            mine = await client.get(
                f"{urls[0]}/contests/{contest}/stages/{stage['id']}/my-entries",
                headers={"Authorization": f"Bearer {token}"},
            )
            plan.append((token, [e["id"] for e in mine.json()]))
        return stage, plan


async def score(
    urls: list[str], contest: uuid.UUID, stage: dict[str, Any], plan: list[tuple[str, list[str]]], rounds: int
) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    accepted = 0
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=len(plan) + 10)) as client:

        async def one_juror(index: int, token: str, entries: list[str]) -> None:
            nonlocal accepted
            for n, entry_id in enumerate(entries * rounds):
                url = f"{urls[(index + n) % len(urls)]}/contests/{contest}/stages/{stage['id']}/entries/{entry_id}/my-score"
                marks = {"defence": (index + n) % 11, "impact": n % 11, "novelty": index % 11}
                began = time.perf_counter()
                response = await client.put(
                    url, json={"marks": marks}, headers={"Authorization": f"Bearer {token}"}
                )
                latencies.append(time.perf_counter() - began)
                accepted += response.status_code == 200

        began = time.perf_counter()
        await asyncio.gather(*(one_juror(i, token, entries) for i, (token, entries) in enumerate(plan)))
        return accepted, time.perf_counter() - began, latencies


def run_one(count: int, args: argparse.Namespace) -> dict[str, float]:
    name = f"kaleidoscope_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    database_url = f"postgresql+asyncpg://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        contest = asyncio.run(take_in_contest(database_url, args.entries))
        processes, urls = start_apis(count, database_url)
        stage, plan = asyncio.run(prepare(urls, contest, args.jurors))
        accepted, seconds, latencies = asyncio.run(score(urls, contest, stage, plan, 1 + args.revisions))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    ordered = sorted(latencies)
    return {
        "accepted": accepted,
        "requests": len(latencies),
        "per_second": accepted / seconds,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--jurors", type=int, default=50)
    parser.add_argument("--entries", type=int, default=34)
    parser.add_argument("--revisions", type=int, default=0, help="extra rounds of revised scores")
    args = parser.parse_args()
    counts = [int(c) for c in args.processes.split(",")]
    print(
        f"{args.jurors} jurors × {args.entries} entries × {1 + args.revisions} round(s), one request in flight per juror; PostgreSQL; machine has {os.cpu_count()} CPUs"
    )
    print()
    print("| API processes | accepted / requests | scores / s | p50 ms | p99 ms | scores / s vs 1 process |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    baseline = None
    for count in counts:
        result = run_one(count, args)
        baseline = baseline or result["per_second"]
        print(
            f"| {count} | {result['accepted']:.0f} / {result['requests']:.0f} | {result['per_second']:.0f} | "
            f"{result['p50_ms']:.0f} | {result['p99_ms']:.0f} | {result['per_second'] / baseline:.2f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
