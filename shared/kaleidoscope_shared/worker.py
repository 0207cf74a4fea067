"""A service's worker process: the outbox relay, the consumer group and a /metrics endpoint."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from prometheus_client import start_http_server

from .bus.consumer import ConsumerSettings, Handler, StreamConsumer
from .bus.nudge import nudge_channel
from .bus.relay import OutboxRelay, RelaySettings
from .bus.stopping import sleep_or_stop
from .contracts import Event
from .db import is_database_unavailable
from .observability import tracing
from .observability.logging import get_logger
from .observability.metrics import DEPENDENCY_UNAVAILABLE
from .runtime import ServiceRuntime

log = get_logger(__name__)


BackgroundLoop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def every(interval_s: float, tick: Callable[[], Awaitable[object]], *, name: str) -> BackgroundLoop:
    """A background loop for `run_worker`: `tick` now and then every `interval_s` until stopped.

    A failing tick (a database hiccup, say) is logged and tried again next round; it never stops the
    worker.
    """

    async def loop(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await tick()
            except Exception as error:
                if is_database_unavailable(error):
                    log.warning(f"{name}.database_unavailable", error=str(error)[:500])
                    DEPENDENCY_UNAVAILABLE.labels("database", name).inc()
                else:
                    log.exception(f"{name}.failed")
            await sleep_or_stop(stop, interval_s)

    return loop


def build_consumer(
    runtime: ServiceRuntime,
    handlers: dict[type[Event], Handler],
    *,
    on_applied: Callable[[], None] | None = None,
) -> StreamConsumer:
    """The service's consumer; after each commit that applied events it calls `on_applied` (by
    default it sets `runtime.events_applied`)."""
    s = runtime.settings
    return StreamConsumer(
        runtime.redis,
        runtime.sessions,
        runtime.tables,
        runtime.outbox,
        handlers,
        ConsumerSettings(
            group=s.service_name,
            consumer=s.consumer_name(),
            namespace=s.bus_namespace,
            batch_size=s.consumer_batch_size,
            block_ms=s.consumer_block_ms,
            reclaim_idle_ms=s.reclaim_idle_ms,
            reclaim_interval_s=s.reclaim_interval_s,
            max_deliveries=s.max_deliveries,
            max_crashes=s.max_crashes,
            forget_consumers_after_ms=int(s.forget_consumers_after_s * 1000),
            measure_interval_s=s.consumer_measure_interval_s,
            inbox_retention_s=s.inbox_retention_s,
        ),
        on_applied=on_applied or runtime.events_applied.set,
    )


def build_relay(runtime: ServiceRuntime) -> OutboxRelay:
    s = runtime.settings
    return OutboxRelay(
        runtime.engine,
        runtime.sessions,
        runtime.tables,
        runtime.redis,
        RelaySettings(
            name=s.consumer_name(),
            batch_size=s.relay_batch_size,
            poll_interval_s=s.relay_poll_interval_s,
            nudge_channel=nudge_channel(s.bus_namespace, s.service_name) if s.relay_nudge else None,
            lease_s=s.relay_lease_s,
            retention_s=s.outbox_retention_s,
            stream_retention_s=s.stream_retention_s,
            namespace=s.bus_namespace,
            check_interval_s=s.redis_check_interval_s,
            replay_window_s=s.redis_replay_window_s,
        ),
        producer=s.service_name,
    )


def serve_metrics(port: int) -> bool:
    """Serve /metrics on `port`. A port already taken is logged as an error and the worker goes on
    without it: events keep flowing, and the failed scrape shows up as the target being down."""
    try:
        start_http_server(port, addr="0.0.0.0")
    except OSError as error:
        log.error("worker.metrics_port_unavailable", port=port, error=str(error))
        return False
    return True


async def run_worker(
    runtime: ServiceRuntime,
    handlers: dict[type[Event], Handler],
    *,
    stop: asyncio.Event | None = None,
    background: list[BackgroundLoop] | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or `stop`): relay the outbox, consume the service's events, and run
    the service's own `background` loops (each gets the stop event)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if runtime.settings.metrics_port:
        serve_metrics(runtime.settings.metrics_port)
    await runtime.open()
    # The loops poll: with tracing on, what they call is not traced unless inside a span of their own
    # (publishing, applying an event, sending a message), so idle polling makes no traces.
    with tracing.quiet():
        tasks = [asyncio.create_task(build_relay(runtime).run(stop), name="relay")]
        tasks += [asyncio.create_task(task(stop)) for task in background or []]
        if handlers:
            tasks.append(asyncio.create_task(build_consumer(runtime, handlers).run(stop), name="consumer"))
    log.info(
        "worker.started", consumer=runtime.settings.consumer_name(), events=[e.event_type for e in handlers]
    )
    try:
        await stop.wait()
    finally:
        await _finish(tasks, runtime.settings.shutdown_timeout_s)
        await runtime.close()
        log.info("worker.stopped")


async def _finish(tasks: list[asyncio.Task[None]], timeout_s: float) -> None:
    """Let the loops finish their current batch; cancel what still runs after `timeout_s` (the
    container's stop grace period is longer, so the process ends before a SIGKILL)."""
    _, running = await asyncio.wait(tasks, timeout=timeout_s)
    for task in running:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if running:
        log.warning("worker.stop_timed_out", cancelled=[task.get_name() for task in running])
