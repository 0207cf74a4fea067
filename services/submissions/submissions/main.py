"""Entry points: `create_app` (the API, an app factory), `worker`, and `cli` running either process."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from kaleidoscope_shared.entrypoint import service_cli
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.observability.logging import configure_logging
from kaleidoscope_shared.worker import run_worker

from .bootstrap import bootstrap
from .entrypoints.http import router
from .settings import SubmissionsSettings


def create_app(settings: SubmissionsSettings | None = None) -> FastAPI:
    settings = settings or SubmissionsSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    app = create_service_app("Kaleidoscope submissions", bootstrap(settings))
    app.include_router(router)
    return app


async def worker(settings: SubmissionsSettings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or SubmissionsSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    await run_worker(bootstrap(settings), handlers={}, stop=stop)


cli = service_cli(
    help_text="The submissions service: contests, participants and entries.",
    app_factory="submissions.main:create_app",
    default_port=8001,
    worker=worker,
    settings=SubmissionsSettings,
    migrations="submissions",
)
