"""Benchmark of the web front: how fast a score reaches the hall screens, and what a page costs.

1. Hall-screen viewers. N concurrent viewers (raw asyncio sockets, one per viewer) hold the hall's
   Server-Sent Events `/contests/{c}/hall/events` open, split evenly over one or two web processes;
   the organiser then runs defences (start, one juror's score, end) and for each viewer we measure the
   delay from the `defence/end` call returning to that viewer receiving the board in which the entry's
   score (`mean`) shows. Baseline in the same run: the same viewers on judging's own
   `/contests/{c}/stages/{s}/scoreboard/stream`. Both paths include judging's scoreboard poll
   (`JUDGING_SCOREBOARD_POLL_S`, 0.5 s by default): the web adds what lies beyond it.
2. Page render: 50 concurrent visitors (keep-alive connections) loading the public contest page
   `/contests/{c}` and a signed-in juror's entry list `/jury/{c}/stages/{s}`, beside a bare FastAPI page
   (a fixed HTML string, uvicorn in a subprocess) measured in the same run.

The whole stack (SQLite, an embedded Redis unless one answers on 6379) runs on this machine, and the
viewers and visitors run in this process: on a small machine they take CPU from the servers.

    .venv/bin/python -m bench.web_front [--viewers 50,200,500] [--rounds 5] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from kaleidoscope_cli.readiness import wait_until_answering
from kaleidoscope_cli.stack import Stack
from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN

from ._support import percentile, redis_url, table

ORGANISER = {"Authorization": f"Bearer {DEVELOPMENT_ORGANISER_TOKEN}"}
NOMINATION = "service-guide"
TERRITORY = "belovo"
FINAL = {
    "name": "Финал",
    "kind": "final",
    "criteria": [{"name": "Защита проекта", "weight": 1, "scale_min": 0, "scale_max": 10}],
    "advancement": {"rule": "places_per_nomination", "k": 1},
    "assignment": {"mode": "every_juror"},
}
TARGET_S = 1.0
ARRIVAL_TIMEOUT_S = 5.0

BARE_APP = """
import sys
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

PAGE = "<!doctype html><html lang=ru><head><title>Конкурс</title></head><body>" + "<p>Калейдоскоп</p>" * 200 + "</body></html>"
app = FastAPI()


@app.get("/page", response_class=HTMLResponse)
async def page() -> str:
    return PAGE


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


# --- the contest: the organiser's API calls (as tests/web/contest_kit.py makes them) ----------------


def contest_body() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "title": "Библиотечный калейдоскоп",
        "description": "Конкурс лучших профессиональных практик библиотек Кузбасса",
        "organisers": [{"name": "Кемеровская областная научная библиотека им. В.Д. Фёдорова"}],
        "nominations": [
            {"code": NOMINATION, "title": "Сервис гид", "description": "Услуги для читателей"},
            {"code": "idea-generator", "title": "Генератор идей", "description": "Просветительские проекты"},
        ],
        "territories": [{"code": TERRITORY, "name": "Беловский городской округ", "kind": "city_district"}],
        "window": {
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=2)).isoformat(),
        },
    }


RUN = uuid.uuid4().hex[:6]


def entry_body(number: int) -> dict[str, Any]:
    return {
        "nomination_code": NOMINATION,
        "title": f"Практика {RUN}-{number}: семейное чтение",
        "annotation": "Тематические рюкзаки с книгами, играми и заданиями для семейного чтения.",
        "authors": [
            {
                "full_name": f"Автор {number}",
                "position": "ведущий библиотекарь",
                "library": f"Библиотека {number}",
                "territory_code": TERRITORY,
                "email": f"author-{number}@example.org",
            }
        ],
        "consent_to_personal_data": True,
    }


@dataclass
class Final:
    contest_id: str
    stage_id: str = ""
    juror_token: str = ""
    running_order: list[str] = field(default_factory=list)


def call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    response = client.request(method, path, **kwargs)
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


def until_taken_in(client: httpx.Client, path: str, body: Any) -> Any:
    """POST `path`, again while judging answers 404/409: it has not yet taken in the contest's events
    from the bus (ContestAnnounced, SubmissionsClosed)."""
    deadline = time.monotonic() + 60
    while True:
        response = client.post(path, json=body)
        if response.status_code < 400:
            return response.json()
        if response.status_code not in (404, 409) or time.monotonic() > deadline:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        time.sleep(0.1)


def prepare_finals(stack: Stack, count: int, entries: int) -> list[Final]:
    """`count` contests, each with `entries` entries, one juror and an open final (a final may be the
    only stage: it takes every entry when submissions close)."""
    submissions = httpx.Client(base_url=stack.url("submissions"), headers=ORGANISER, timeout=30)
    judging = httpx.Client(base_url=stack.url("judging"), headers=ORGANISER, timeout=30)
    finals = []
    with submissions, judging:
        for _ in range(count):
            contest = call(submissions, "POST", "/contests", json=contest_body())
            final = Final(str(contest["id"]))
            call(submissions, "POST", f"/contests/{final.contest_id}/publish")
            for number in range(entries):
                call(submissions, "POST", f"/contests/{final.contest_id}/entries", json=entry_body(number))
            finals.append(final)
        for final in finals:
            juror = {"name": "Белов Игорь Сергеевич", "library": "Областная библиотека"}
            final.juror_token = until_taken_in(judging, f"/contests/{final.contest_id}/jurors", juror)[
                "token"
            ]
            final.stage_id = call(judging, "POST", f"/contests/{final.contest_id}/stages", json=FINAL)["id"]
            call(submissions, "POST", f"/contests/{final.contest_id}/close")
        for final in finals:
            until_taken_in(judging, f"/contests/{final.contest_id}/stages/{final.stage_id}/open", None)
            board = call(judging, "GET", f"/contests/{final.contest_id}/stages/{final.stage_id}/scoreboard")
            final.running_order = [line["entry_id"] for line in board["entries"]]
            if len(final.running_order) != entries:
                raise RuntimeError(f"the final took {len(final.running_order)} of {entries} entries")
    return finals


# --- hall-screen viewers -------------------------------------------------------------------------------


class Round:
    """What the viewers look for now: the board in which `entry_id`'s mean shows."""

    def __init__(self, viewers: int) -> None:
        self.ready: list[bool] = [False] * viewers
        self.marker = b""
        self.arrivals: dict[int, float] = {}
        self.everyone = asyncio.Event()
        self.viewers = viewers
        self.refused = 0

    def look_for(self, entry_id: str) -> None:
        # both judging (sort_keys) and the web (judging's board passed on as read) write each line
        # with these keys side by side; a line without the marker is parsed instead
        self.marker = f'"entry_id": "{entry_id}", "mean": '.encode()
        self.entry_id = entry_id
        self.arrivals = {}
        self.everyone = asyncio.Event()

    def received(self, index: int, at: float, line: bytes) -> None:
        self.ready[index] = True
        if not self.marker or index in self.arrivals:
            return
        where = line.find(self.marker)
        if where >= 0:
            shown = not line.startswith(b"null", where + len(self.marker))
        else:
            payload = json.loads(line[5:])
            board = payload.get("board", payload)
            shown = any(
                e.get("entry_id") == self.entry_id and e.get("mean") is not None
                for e in board.get("entries", [])
            )
        if shown:
            self.arrivals[index] = at
            if len(self.arrivals) == self.viewers - self.refused:
                self.everyone.set()


async def viewer(url: str, index: int, state: Round, opened: asyncio.Semaphore) -> None:
    """One screen: a GET held open, each `data:` line handed to `state` with the time it arrived."""
    parts = urlsplit(url)
    async with opened:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=1 << 24)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        status = await reader.readline()
        if b" 200 " not in status:
            state.refused += 1
            state.ready[index] = True
            writer.close()
            return
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
    try:
        while line := await reader.readline():  # chunk-size lines and the blank ones are skipped
            if line.startswith(b"data:"):
                state.received(index, time.perf_counter(), line)
    finally:
        writer.close()


async def watch_defences(
    urls: list[str], final: Final, judging: str, viewers: int, rounds: int
) -> dict[str, float]:
    """`viewers` screens spread over `urls`; `rounds` defences run; each screen's delay per defence."""
    state = Round(viewers)
    opened = asyncio.Semaphore(64)
    tasks = [asyncio.create_task(viewer(urls[i % len(urls)], i, state, opened)) for i in range(viewers)]
    delays: list[float] = []
    missed = 0
    base = f"/contests/{final.contest_id}/stages/{final.stage_id}"
    try:
        deadline = time.monotonic() + 90
        opening = time.perf_counter()
        while not all(state.ready):
            failed = [t for t in tasks if t.done()]
            if failed:
                failed[0].result()
                raise RuntimeError("a viewer's stream ended before the first board")
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {sum(state.ready)} of {viewers} viewers got a first board")
            await asyncio.sleep(0.05)
        print(f"    {viewers} open in {time.perf_counter() - opening:.1f} s", file=sys.stderr, flush=True)
        async with (
            httpx.AsyncClient(base_url=judging, headers=ORGANISER, timeout=30) as organiser,
            httpx.AsyncClient(
                base_url=judging, headers={"Authorization": f"Bearer {final.juror_token}"}, timeout=30
            ) as juror,
        ):
            for entry_id in final.running_order[:rounds]:
                state.look_for(entry_id)
                (
                    await organiser.post(f"{base}/defence/start", json={"entry_id": entry_id})
                ).raise_for_status()
                score = {"marks": {"Защита проекта": 7}}
                (await juror.put(f"{base}/entries/{entry_id}/my-score", json=score)).raise_for_status()
                await asyncio.sleep(0.6)  # the "defending" board reaches the screens first, as in a hall
                (await organiser.post(f"{base}/defence/end")).raise_for_status()
                ended = time.perf_counter()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(state.everyone.wait(), ARRIVAL_TIMEOUT_S)
                missed += viewers - len(state.arrivals)
                print(
                    f"    round: {len(state.arrivals)}/{viewers} in {time.perf_counter() - ended:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )
                delays += [max(0.0, at - ended) for at in state.arrivals.values()]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "p50_ms": percentile(delays, 50) * 1000 if delays else float("nan"),
        "p99_ms": percentile(delays, 99) * 1000 if delays else float("nan"),
        "max_ms": max(delays) * 1000 if delays else float("nan"),
        "missed": missed,
        "samples": len(delays),
    }


# --- page render ------------------------------------------------------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> int:
    """The status of one HTTP/1.1 response, its body read (by Content-Length or chunked)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while (header := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = header.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.readexactly(length)
    return status


async def load(url: str, visitors: int, seconds: float, headers: dict[str, str]) -> dict[str, float]:
    """`visitors` keep-alive connections, each loading `url` one request after another."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode()
    latencies: list[float] = []
    errors = 0
    warm_until = time.perf_counter() + 1.0
    stop = warm_until + seconds

    async def visitor() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=1 << 22)
        try:
            while (began := time.perf_counter()) < stop:
                writer.write(request)
                status = await read_response(reader)
                if began >= warm_until:
                    if status == 200:
                        latencies.append(time.perf_counter() - began)
                    else:
                        errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(visitor() for _ in range(visitors)))
    return {
        "per_second": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 50) * 1000 if latencies else float("nan"),
        "p99_ms": percentile(latencies, 99) * 1000 if latencies else float("nan"),
        "errors": errors,
    }


def session_cookie(web: str, final: Final) -> str:
    """The juror signs in once with their personal token (as the personal link's ticket)."""
    with httpx.Client(base_url=web, timeout=30) as client:
        response = client.get(
            "/jury/sign-in", params={"ticket": final.juror_token, "contest": final.contest_id}
        )
        if response.status_code != 303 or not client.cookies:
            raise RuntimeError(f"sign-in: {response.status_code} {response.text[:300]}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


# --- processes ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], env: dict[str, str], ready: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_answering([ready], 60)
    except BaseException:
        process.kill()
        raise
    return process


def second_web(stack: Stack) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {f"WEB_{s.upper()}_URL": stack.url(s) for s in ("submissions", "judging", "notifications")}
    env["WEB_LOG_FORMAT"] = "json"
    url = f"http://127.0.0.1:{port}"
    return start([sys.executable, "-m", "web", "api", "--port", str(port)], env, f"{url}/health"), url


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


# --- the run ----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--viewers", default="50,200,500")
    parser.add_argument("--rounds", type=int, default=5, help="defences measured per viewer count")
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per page")
    args = parser.parse_args()
    counts = [int(n) for n in args.viewers.split(",")]
    setups = [("judging stream (baseline)", 1), ("web hall", 1), ("web hall", 2)]
    print(
        f"machine has {os.cpu_count()} CPUs; the whole stack, the viewers and the visitors on it; "
        f"{args.rounds} defences per row, each viewer's delay from defence/end returning to the board "
        f"with the score"
    )
    with redis_url() as redis, tempfile.TemporaryDirectory() as folder:
        stack = Stack(Path(folder) / "data", redis, namespace=f"bench-{uuid.uuid4().hex[:8]}")
        began = time.perf_counter()
        stack.start(timeout=180)
        print(f"  stack up in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
        extra: subprocess.Popen[bytes] | None = None
        try:
            finals = prepare_finals(stack, len(counts) * len(setups) + 1, args.rounds)
            print(f"  finals ready at {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
            extra, extra_url = second_web(stack)
            webs = [stack.url("web"), extra_url]
            rows: list[list[object]] = []
            under: dict[str, int] = {}
            baseline: dict[int, float] = {}
            for n in counts:
                for via, processes in setups:
                    final = finals.pop()
                    if via.startswith("judging"):
                        path = f"/contests/{final.contest_id}/stages/{final.stage_id}/scoreboard/stream"
                        urls = [stack.url("judging") + path]
                    else:
                        urls = [f"{w}/contests/{final.contest_id}/hall/events" for w in webs[:processes]]
                    result = asyncio.run(watch_defences(urls, final, stack.url("judging"), n, args.rounds))
                    label = f"{via}, {processes} process{'es' if processes > 1 else ''}"
                    if via.startswith("judging"):
                        baseline[n] = result["p99_ms"]
                    if result["p99_ms"] < TARGET_S * 1000 and not result["missed"]:
                        under[label] = max(under.get(label, 0), n)
                    rows.append(
                        [
                            n,
                            label,
                            f"{result['p50_ms']:.0f}",
                            f"{result['p99_ms']:.0f}",
                            f"{result['max_ms']:.0f}",
                            f"{result['missed']}",
                            f"{result['p99_ms'] / baseline[n]:.2f}×",
                        ]
                    )
                    print(
                        f"  measured {n} viewers, {label} at {time.perf_counter() - began:.0f} s",
                        file=sys.stderr,
                        flush=True,
                    )
            print()
            headers = ["viewers", "via", "p50 ms", "p99 ms", "max ms", "missed", "p99 vs judging"]
            print(table(headers, rows))
            print()
            for _via, processes in setups:
                label = f"{_via}, {processes} process{'es' if processes > 1 else ''}"
                best = under.get(label)
                print(
                    f"- {label}: largest N with p99 < {TARGET_S:.0f} s and nothing missed: "
                    f"{best if best else f'none of {counts}'}"
                )

            # --- page render -------------------------------------------------------------------------
            page_final = finals[0]
            cookie = session_cookie(stack.url("web"), page_final)
            port = free_port()
            bare = start([sys.executable, "-c", BARE_APP, str(port)], {}, f"http://127.0.0.1:{port}/page")
            try:
                pages = [
                    ("bare FastAPI page (baseline)", f"http://127.0.0.1:{port}/page", {}),
                    (
                        "public contest page",
                        f"{stack.url('web')}/contests/{page_final.contest_id}",
                        {"Accept-Language": "ru"},
                    ),
                    (
                        "juror's entry list",
                        f"{stack.url('web')}/jury/{page_final.contest_id}/stages/{page_final.stage_id}",
                        {"Accept-Language": "ru", "Cookie": cookie},
                    ),
                ]
                rows = []
                bare_rate = 0.0
                for name, url, headers_ in pages:
                    result = asyncio.run(load(url, args.visitors, args.seconds, headers_))
                    bare_rate = bare_rate or result["per_second"]
                    rows.append(
                        [
                            name,
                            f"{result['per_second']:.0f}",
                            f"{result['p50_ms']:.0f}",
                            f"{result['p99_ms']:.0f}",
                            f"{result['errors']:.0f}",
                            f"{result['per_second'] / bare_rate:.3f}",
                        ]
                    )
            finally:
                stop(bare)
            print()
            print(
                f"{args.visitors} concurrent visitors, {args.seconds:.0f} s each after 1 s of warm-up, one web process"
            )
            print()
            print(table(["page", "requests / s", "p50 ms", "p99 ms", "errors", "rate vs bare"], rows))
        finally:
            if extra is not None:
                stop(extra)
            stack.stop()


if __name__ == "__main__":
    main()
