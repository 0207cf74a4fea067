"""Entry points: `create_app` (the API, an app factory), `worker`, and `cli` running either process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI

from kaleidoscope_shared.entrypoint import service_cli
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.observability.logging import configure_logging
from kaleidoscope_shared.worker import run_worker

from .bootstrap import bootstrap
from .entrypoints.bus import build_handlers
from .entrypoints.http import router
from .service_layer.dispatch import dispatcher
from .settings import NotificationsSettings


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    app = create_service_app("Kaleidoscope notifications", bootstrap(settings))
    app.include_router(router)
    return app


async def worker(settings: NotificationsSettings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or NotificationsSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    runtime = bootstrap(settings)
    send = dispatcher(runtime, Path(settings.messages_dir()), settings.dispatch_interval_s)
    await run_worker(runtime, handlers=build_handlers(settings.default_channel), stop=stop, background=[send])


cli = service_cli(
    help_text="The notifications service: who hears what, on which channel, with which documents.",
    app_factory="notifications.main:create_app",
    default_port=8003,
    worker=worker,
    settings=NotificationsSettings,
    migrations="notifications",
)
