"""A stopping worker finishes what it started, but never for longer than `shutdown_timeout_s`: the
container's stop grace period (tests/deploy) is set above it, so no worker is SIGKILLed mid-batch."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
import structlog
from sqlalchemy import MetaData

from kaleidoscope_shared import worker as worker_module
from kaleidoscope_shared.observability.logging import configure_logging, get_logger
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.settings import ServiceSettings
from kaleidoscope_shared.worker import run_worker


@pytest.fixture(autouse=True)
def fresh_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """Logs to the process's stdout, which no test closes: a logger cached by an earlier test may hold
    that test's closed capture, and one cached here must not hold ours."""
    configure_logging("worker-test", "INFO", "console")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.__stdout__))
    monkeypatch.setattr(worker_module, "log", get_logger("kaleidoscope_shared.worker.test"))


def runtime(tmp_path: Path, redis_url: str, namespace: str, shutdown_timeout_s: float) -> ServiceRuntime:
    settings = ServiceSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/worker.db",
        redis_url=redis_url,
        bus_namespace=namespace,
        shutdown_timeout_s=shutdown_timeout_s,
    )
    return ServiceRuntime.build(settings, MetaData())


async def test_a_loop_that_ignores_the_stop_is_cancelled_after_the_shutdown_timeout(
    tmp_path: Path, redis_url: str, namespace: str
) -> None:
    stop, cancelled = asyncio.Event(), asyncio.Event()

    async def stubborn(_stop: asyncio.Event) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker = asyncio.create_task(
        run_worker(runtime(tmp_path, redis_url, namespace, 0.5), {}, stop=stop, background=[stubborn])
    )
    await asyncio.sleep(0.5)
    started = time.monotonic()
    stop.set()
    await asyncio.wait_for(worker, timeout=10)
    assert cancelled.is_set()
    assert 0.4 < time.monotonic() - started < 3


async def test_a_loop_that_finishes_its_batch_is_waited_for_not_cancelled(
    tmp_path: Path, redis_url: str, namespace: str
) -> None:
    stop, finished = asyncio.Event(), asyncio.Event()

    async def finishing(loop_stop: asyncio.Event) -> None:
        await loop_stop.wait()
        await asyncio.sleep(0.3)  # the batch in hand
        finished.set()

    worker = asyncio.create_task(
        run_worker(runtime(tmp_path, redis_url, namespace, 5), {}, stop=stop, background=[finishing])
    )
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(worker, timeout=10)
    assert finished.is_set()
