"""Benchmark of POST entry (with the outbox) on SQLite, beside a bare FastAPI app doing one insert.

Both servers are real uvicorn processes on loopback, each with its own SQLite file (WAL, same driver
and engine settings); a load generator in a separate process keeps `--concurrency` requests in flight
for `--seconds` per round. Rounds alternate between the apps; the table quotes the medians of the
rounds and the ratio of rates. Target: the submissions service at ≥ 0.5 of the bare app's rate.

The submissions service runs as three processes, one per variant of observability
(bench/_observability.py), and each round loads each of them in turn (in an order turned by one each
round): "as shipped" (Prometheus metrics, no tracing: no OTLP endpoint configured; the row the target
above is about), "observability off" (every metric call a no-op and the HTTP metrics middleware a
pass-through, no tracing) and "observability on" (metrics, and tracing at the default
`trace_sample_ratio` exporting over OTLP/HTTP with the SDK's batch exporter to a local sink process
that decodes and counts the spans). Below the table: on ÷ off for requests/s, p50 and p99 (medians of
the rounds), the overhead (time per request or latency, on against off) and whether it stays under
10 % (issue 19); "metrics only" is as shipped against off; the API process's CPU time per request,
off against on (all its threads, the span exporter's too; less disturbed than the rates by other work
on the machine); and the spans that reached the sink per request served by the "on" process (0 would
mean the variant measured nothing). The verdict is on requests/s, p50 and p99.

`--sample-ratio` measures "on" at another ratio than the default.

    .venv/bin/python -m bench.submissions_post [--rounds 3] [--seconds 5] [--concurrency 16] [--sample-ratio R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

from kaleidoscope_shared.settings import ServiceSettings

from ._observability import VARIANT_VARIABLE, VARIANTS, Observability, TraceSink, prepare, server_environment

TARGET_RATIO = 0.5
OVERHEAD_GOAL = 0.10
"""Issue 19: metrics and tracing cost under 10 % of a request's time and latency."""
ORGANISER_TOKEN = "bench-organiser-token-0123456789abcdef"
ROOT = Path(__file__).resolve().parent.parent


# --- the baseline: a bare FastAPI app, one SQLite insert per request ------------------------------


def bare_app() -> Any:
    """FastAPI + SQLAlchemy async + aiosqlite, WAL: what POST costs with nothing but one insert."""
    from fastapi import FastAPI
    from sqlalchemy import JSON, Column, MetaData, String, Table

    from kaleidoscope_shared.db import create_engine

    metadata = MetaData()
    items = Table(
        "items", metadata, Column("id", String(36), primary_key=True), Column("body", JSON, nullable=False)
    )
    engine = create_engine(os.environ["BARE_DATABASE_URL"])
    app = FastAPI()

    @app.on_event("startup")
    async def create() -> None:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

    @app.post("/items", status_code=201)
    async def insert(body: dict[str, Any]) -> dict[str, str]:
        item_id = str(uuid.uuid4())
        async with engine.begin() as connection:
            await connection.execute(items.insert().values(id=item_id, body=body))
        return {"id": item_id}

    return app


def service_app() -> Any:
    """The submissions API in the variant of observability `BENCH_OBSERVABILITY` names."""
    variant = os.environ[VARIANT_VARIABLE]
    prepare(variant)
    from kaleidoscope_shared.observability import tracing
    from submissions.main import create_app

    app = create_app()
    if tracing.enabled() != (variant == "on"):
        raise RuntimeError(f"submissions ({variant}): tracing is {'on' if tracing.enabled() else 'off'}")
    return app


# --- the load generator (run in its own process) --------------------------------------------------


RUN = uuid.uuid4().hex[:8]
"""Tells this load process's entries from the last one's: the same title and author would be a duplicate."""


def entry_body(worker: int, number: int) -> dict[str, Any]:
    return {
        "nomination_code": "service-guide",
        "title": f"Практика {RUN}-{worker}-{number}",
        "annotation": "Тематические рюкзаки с книгами, играми и заданиями для семейного чтения.",
        "authors": [
            {
                "full_name": f"Автор {RUN}-{worker}-{number}",
                "position": "ведущий библиотекарь",
                "library": "Центральная детская библиотека",
                "territory_code": "belovo-city",
                "email": f"author-{RUN}-{worker}-{number}@example.org",
            }
        ],
        "consent_to_personal_data": True,
    }


async def generate_load(url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def one_client(worker: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        number = 0
        while time.perf_counter() < deadline:
            number += 1
            started = time.perf_counter()
            response = await client.post(url, json=entry_body(worker, number))
            if response.status_code == 201:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one_client(w, client) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "ok": len(latencies),
        "errors": errors,
        "rate": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        if latencies
        else None,
    }


def run_load(url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.submissions_post", "--load", url, str(seconds), str(concurrency)]
    output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


# --- the servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{app} did not start on port {port}")


def cpu_seconds(process: psutil.Process) -> float:
    """User and system CPU time of an API process, all its threads (the span exporter's too)."""
    times = process.cpu_times()
    return float(times.user + times.system)


def open_contest(base_url: str) -> str:
    now = datetime.now(UTC)
    contest = {
        "title": "Bench contest",
        "nominations": [{"code": "service-guide", "title": "Сервис гид"}],
        "territories": [
            {"code": "belovo-city", "name": "Беловский городской округ", "kind": "city_district"}
        ],
        "window": {
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
        },
    }
    headers = {"Authorization": f"Bearer {ORGANISER_TOKEN}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        created = client.post("/contests", json=contest)
        created.raise_for_status()
        contest_id = str(created.json()["id"])
        client.post(f"/contests/{contest_id}/publish").raise_for_status()
    return contest_id


# --- the report -----------------------------------------------------------------------------------

SERVICE = "submissions POST entry + outbox"
SUFFIX = {"shipped": "", "off": ", observability off", "on": ", observability on"}


def median(rounds: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def report(
    bare: list[dict[str, Any]],
    service: dict[str, list[dict[str, Any]]],
    traced: dict[str, int],
    args: argparse.Namespace,
) -> str:
    shipped = service["shipped"]
    ratio = median(shipped, "rate") / median(bare, "rate")
    rows = [
        "| app | requests/s (median) | p50 ms | p99 ms | errors | rounds |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, rounds in (
        ("bare FastAPI, 1 SQLite insert", bare),
        *((SERVICE + SUFFIX[variant], service[variant]) for variant in ("shipped", "off", "on")),
    ):
        rows.append(
            f"| {name} | {median(rounds, 'rate'):.0f} | {median(rounds, 'p50_ms'):.1f} | "
            f"{median(rounds, 'p99_ms'):.1f} | {sum(r['errors'] for r in rounds)} | {len(rounds)} |"
        )
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    rows.append("")
    rows.append(
        f"ratio submissions / bare: **{ratio:.2f}** ({verdict} the target of {TARGET_RATIO}); "
        f"{args.concurrency} requests in flight, {args.seconds:.0f} s per round, loopback, SQLite WAL"
    )
    rows.append("")
    rows.append(overhead(service, traced, args))
    return "\n".join(rows)


def overhead(
    service: dict[str, list[dict[str, Any]]], traced: dict[str, int], args: argparse.Namespace
) -> str:
    """On ÷ off for requests/s, p50 and p99, metrics alone (as shipped ÷ off), the spans exported."""
    off, on, shipped = (
        [median(service[variant], key) for key in ("rate", "p50_ms", "p99_ms", "cpu_us")]
        for variant in ("off", "on", "shipped")
    )
    costs = {"requests/s": off[0] / on[0] - 1, "p50": on[1] / off[1] - 1, "p99": on[2] / off[2] - 1}
    over = [name for name, cost in costs.items() if cost >= OVERHEAD_GOAL]
    default = ServiceSettings.model_fields["trace_sample_ratio"].default
    ratio = f"{default} (the default)" if args.sample_ratio is None else str(args.sample_ratio)
    return (
        f"observability on ÷ off (tracing at sample ratio {ratio}, OTLP/HTTP to a local sink): "
        f"requests/s **{on[0] / off[0]:.2f}**, p50 **{on[1] / off[1]:.2f}**, p99 **{on[2] / off[2]:.2f}** "
        f"(overhead {', '.join(f'{name} {cost:+.0%}' for name, cost in costs.items())}: "
        + (f"under {OVERHEAD_GOAL:.0%}" if not over else f"over {OVERHEAD_GOAL:.0%} for {', '.join(over)}")
        + f"); metrics only (as shipped ÷ off): {shipped[0] / off[0]:.2f}, {shipped[1] / off[1]:.2f}, "
        f"{shipped[2] / off[2]:.2f}; CPU of the API per request, off → on: {off[3]:.0f} → {on[3]:.0f} µs "
        f"({on[3] / off[3] - 1:+.0%}); the sink received {traced['spans']} spans in {traced['bytes']:,} bytes, "
        f"{traced['spans'] / max(traced['requests'], 1):.1f} per request of the traced process"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--sample-ratio",
        type=float,
        default=None,
        help="trace_sample_ratio of the observability-on process (default: the settings' default)",
    )
    parser.add_argument("--load", nargs=3, metavar=("URL", "SECONDS", "CONCURRENCY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        url, seconds, concurrency = args.load
        print(json.dumps(asyncio.run(generate_load(url, float(seconds), int(concurrency)))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-submissions-") as folder, TraceSink() as sink:
        bare_port = free_port()
        ports = {variant: free_port() for variant in VARIANTS}
        processes: dict[str, psutil.Process] = {}
        servers = [
            start_server(
                "bench.submissions_post:bare_app",
                bare_port,
                {"BARE_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bare.db"},
            )
        ]
        try:
            for variant, port in ports.items():
                data = Path(folder) / variant
                data.mkdir()
                observability = Observability(variant, sink.url, args.sample_ratio)
                environment = {
                    "SUBMISSIONS_DATABASE_URL": f"sqlite+aiosqlite:///{data}/submissions.db",
                    "SUBMISSIONS_DATA_DIR": str(data),
                    "SUBMISSIONS_ORGANISER_TOKEN": ORGANISER_TOKEN,
                    "SUBMISSIONS_BUS_NAMESPACE": f"bench-{uuid.uuid4().hex[:8]}",
                    "SUBMISSIONS_LOG_LEVEL": "WARNING",
                    **server_environment(observability, "SUBMISSIONS_"),
                }
                servers.append(start_server("bench.submissions_post:service_app", port, environment))
                processes[variant] = psutil.Process(servers[-1].pid)
            urls = {}
            for variant, port in ports.items():
                base = f"http://127.0.0.1:{port}"
                urls[variant] = f"{base}/contests/{open_contest(base)}/entries"
            bare_url = f"http://127.0.0.1:{bare_port}/items"
            requests = {variant: 0 for variant in VARIANTS}
            run_load(bare_url, 1.0, args.concurrency)  # warm every app up
            for variant, url in urls.items():
                warm = run_load(url, 1.0, args.concurrency)
                requests[variant] += warm["ok"] + warm["errors"]
            bare: list[dict[str, Any]] = []
            service: dict[str, list[dict[str, Any]]] = {variant: [] for variant in VARIANTS}
            for number in range(args.rounds):
                bare.append(run_load(bare_url, args.seconds, args.concurrency))
                turn = number % len(VARIANTS)
                for variant in VARIANTS[turn:] + VARIANTS[:turn]:
                    cpu = cpu_seconds(processes[variant])
                    result = run_load(urls[variant], args.seconds, args.concurrency)
                    served = max(result["ok"] + result["errors"], 1)
                    result["cpu_us"] = (cpu_seconds(processes[variant]) - cpu) / served * 1e6
                    service[variant].append(result)
                    requests[variant] += result["ok"] + result["errors"]
        finally:
            for server in servers:
                server.terminate()  # a traced API exports the spans it still holds as it stops
                server.wait(timeout=10)
        counts = sink.counts()
    traced = {"spans": counts.total_spans, "bytes": counts.bytes, "requests": requests["on"]}
    if traced["spans"] == 0 and args.sample_ratio != 0:
        raise RuntimeError("observability on: no span reached the sink")
    print(report(bare, service, traced, args))


if __name__ == "__main__":
    main()
