"""Entry points: `create_app` (the API, an app factory), `worker`, and `cli` running either process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from fastapi import FastAPI

from kaleidoscope_shared.entrypoint import service_cli
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.observability.logging import configure_logging, get_logger
from kaleidoscope_shared.worker import run_worker

from .bootstrap import bootstrap
from .channels import Channel
from .entrypoints.bus import build_handlers
from .entrypoints.http import install_routes
from .settings import NotificationsSettings

log = get_logger(__name__)


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    service = bootstrap(settings)
    app = create_service_app("Kaleidoscope notifications", service.runtime)
    install_routes(app, service)
    return app


async def worker(settings: NotificationsSettings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or NotificationsSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    service = bootstrap(settings)
    loaded = service.load_channels()
    for failure in loaded.failures:
        log.error(
            "channel.not_loaded", channel=failure.name, entry_point=failure.entry_point, error=failure.error
        )
    log.info("channels.loaded", channels=sorted(loaded.channels))
    executor = service.document_executor()
    dispatcher = service.dispatcher(loaded.channels, executor)

    async def dispatch(stop: asyncio.Event) -> None:
        await dispatcher.run(stop, settings.dispatch_interval_s, woken=service.runtime.events_applied)

    try:
        handlers = build_handlers(service.fan_out_config())
        await run_worker(service.runtime, handlers=handlers, stop=stop, background=[dispatch])
    finally:
        await _close(loaded.channels.values())
        if executor is not None:
            executor.shutdown(cancel_futures=True)


async def _close(channels: Iterable[Channel]) -> None:
    for channel in channels:
        with contextlib.suppress(Exception):
            await channel.aclose()


cli = service_cli(
    help_text="The notifications service: who hears what, on which channel, with which documents.",
    app_factory="notifications.main:create_app",
    default_port=8003,
    worker=worker,
    settings=NotificationsSettings,
    migrations="notifications",
)
