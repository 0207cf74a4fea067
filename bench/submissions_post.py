"""Benchmark of POST entry (with the outbox) on SQLite, beside a bare FastAPI app doing one insert.

Both servers are real uvicorn processes on loopback, each with its own SQLite file (WAL, same driver
and engine settings); a load generator in a separate process keeps `--concurrency` requests in flight
for `--seconds` per round. Rounds alternate between the two apps; the table quotes the medians of the
rounds and the ratio of rates. Target: the submissions service at ≥ 0.5 of the bare app's rate.

    .venv/bin/python -m bench.submissions_post [--rounds 3] [--seconds 5] [--concurrency 16]
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

TARGET_RATIO = 0.5
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


def median(rounds: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def report(bare: list[dict[str, Any]], service: list[dict[str, Any]], args: argparse.Namespace) -> str:
    ratio = median(service, "rate") / median(bare, "rate")
    rows = [
        "| app | requests/s (median) | p50 ms | p99 ms | errors | rounds |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, rounds in (
        ("bare FastAPI, 1 SQLite insert", bare),
        ("submissions POST entry + outbox", service),
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
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--load", nargs=3, metavar=("URL", "SECONDS", "CONCURRENCY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        url, seconds, concurrency = args.load
        print(json.dumps(asyncio.run(generate_load(url, float(seconds), int(concurrency)))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-submissions-") as folder:
        bare_port, service_port = free_port(), free_port()
        servers = [
            start_server(
                "bench.submissions_post:bare_app",
                bare_port,
                {"BARE_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bare.db"},
            ),
            start_server(
                "submissions.main:create_app",
                service_port,
                {
                    "SUBMISSIONS_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/submissions.db",
                    "SUBMISSIONS_DATA_DIR": folder,
                    "SUBMISSIONS_ORGANISER_TOKEN": ORGANISER_TOKEN,
                    "SUBMISSIONS_BUS_NAMESPACE": f"bench-{uuid.uuid4().hex[:8]}",
                    "SUBMISSIONS_LOG_LEVEL": "WARNING",
                },
            ),
        ]
        try:
            service_base = f"http://127.0.0.1:{service_port}"
            service_url = f"{service_base}/contests/{open_contest(service_base)}/entries"
            bare_url = f"http://127.0.0.1:{bare_port}/items"
            run_load(bare_url, 1.0, args.concurrency)  # warm both up
            run_load(service_url, 1.0, args.concurrency)
            bare, service = [], []
            for _ in range(args.rounds):
                bare.append(run_load(bare_url, args.seconds, args.concurrency))
                service.append(run_load(service_url, args.seconds, args.concurrency))
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
    print(report(bare, service, args))


if __name__ == "__main__":
    main()
