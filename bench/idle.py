"""What the system costs when nothing happens: CPU per process over 30 s with the whole stack up.

The whole system (three APIs, three workers, the web front; SQLite, the Redis on 6379 or an embedded
one) is started with `kaleidoscope_cli.stack.Stack`, left to settle, and then each process's own CPU
time (user + system, its children included) is read with psutil before and after a quiet window. The
figure is CPU seconds the process used in the window, so it does not depend on what else the machine
runs; "% of a core" is that divided by the window. Redis's own CPU is not counted (it may be shared).

Baseline in the same run: the same stack with the old bus behaviour — no nudge after commit and the
relay polling its outbox every 10 ms (`<SERVICE>_RELAY_NUDGE=false`, `<SERVICE>_RELAY_POLL_INTERVAL_S=0.01`,
the old background intervals).

    python -m bench.idle [--seconds 30] [--settle 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import psutil

from kaleidoscope_cli.stack import Stack

from ._support import median, redis_url, table

SERVICES = ("SUBMISSIONS", "JUDGING", "NOTIFICATIONS")
TARGET_PERCENT = 1.0

# The bus as it was before the nudge: every relay polls its outbox every 10 ms, the consumer measures
# its streams on every reclaim round.
OLD_BEHAVIOUR = {
    f"{service}_{name}": value
    for service in SERVICES
    for name, value in {
        "RELAY_NUDGE": "false",
        "RELAY_POLL_INTERVAL_S": "0.01",
        "CONSUMER_MEASURE_INTERVAL_S": "0",
    }.items()
} | {"NOTIFICATIONS_DISPATCH_INTERVAL_S": "0.05"}


def cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU of `process` and of its live children."""
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def measure(redis: str, env: dict[str, str], seconds: float, settle: float) -> dict[str, float]:
    """CPU seconds each process of a freshly started stack uses over `seconds` of quiet."""
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack(
            Path(folder) / "data",
            redis,
            namespace=f"bench-idle-{uuid.uuid4().hex[:8]}",
            log_to_files=True,
            extra_env=env,
        )
        stack.start()
        try:
            assert stack.group is not None
            processes = {name: psutil.Process(p.pid) for name, p in stack.group.processes.items()}
            time.sleep(settle)
            before = {name: cpu_seconds(p) for name, p in processes.items()}
            time.sleep(seconds)
            after = {name: cpu_seconds(p) for name, p in processes.items()}
            exited = stack.group.exited()
            if exited:
                raise RuntimeError(f"processes exited during the idle window: {exited}")
        finally:
            stack.stop()
    return {name: (after[name] - before[name]) * 30 / seconds for name in processes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the quiet window")
    parser.add_argument("--settle", type=float, default=10.0, help="wait after start-up before measuring")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    old: list[dict[str, float]] = []
    load_before = os.getloadavg()[0]
    new: list[dict[str, float]] = []
    with redis_url() as redis:
        for _ in range(args.runs):  # interleaved, so both see the same machine
            old.append(measure(redis, OLD_BEHAVIOUR, args.seconds, args.settle))
            new.append(measure(redis, {}, args.seconds, args.settle))
    rows: list[list[object]] = []
    for name in new[0]:
        was = median([run[name] for run in old])
        now = median([run[name] for run in new])
        percent = now / 30 * 100
        rows.append(
            [
                name,
                f"{was:.2f}",
                f"{was / 30 * 100:.1f}",
                f"{now:.2f}",
                f"{percent:.2f}",
                f"{min(r[name] for r in new):.2f}–{max(r[name] for r in new):.2f}",
                "yes" if percent < TARGET_PERCENT else "NO",
            ]
        )
    total_old = median([sum(run.values()) for run in old])
    total_new = median([sum(run.values()) for run in new])
    rows.append(["all", f"{total_old:.2f}", f"{total_old / 30 * 100:.1f}", f"{total_new:.2f}", "", "", ""])
    print(
        table(
            [
                "process",
                "baseline CPU s / 30 s",
                "baseline % core",
                "CPU s / 30 s (median)",
                "% core",
                "range",
                f"< {TARGET_PERCENT:.0f} %",
            ],
            rows,
        )
    )
    print(
        f"\n{args.runs} runs each (baseline and now interleaved), {args.seconds:.0f} s quiet after "
        f"{args.settle:.0f} s of settling, CPU seconds scaled to 30 s. Baseline: no nudge, the relay "
        "polling every 10 ms (the old defaults). Target: every process under 1 % of a core."
    )
    print(_load_note(load_before))


def _load_note(before: float) -> str:
    return (
        f"Load average (1 min) {before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on "
        f"{os.cpu_count()} CPUs: other work on the machine slows every figure here."
    )


if __name__ == "__main__":
    main()
