"""Entry points: `create_app` (the API, an app factory), `worker`, and `cli` running either process."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from kaleidoscope_shared.entrypoint import service_cli
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.observability.logging import configure_logging
from kaleidoscope_shared.worker import run_worker

from .bootstrap import bootstrap
from .entrypoints.bus import HANDLERS
from .entrypoints.http import router
from .settings import JudgingSettings


def create_app(settings: JudgingSettings | None = None) -> FastAPI:
    settings = settings or JudgingSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    app = create_service_app("Kaleidoscope judging", bootstrap(settings))
    app.include_router(router)
    return app


async def worker(settings: JudgingSettings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or JudgingSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    await run_worker(bootstrap(settings), handlers=HANDLERS, stop=stop)


cli = service_cli(
    help_text="The judging service: jury, stages, scores, advancement and winners.",
    app_factory="judging.main:create_app",
    default_port=8002,
    worker=worker,
    settings=JudgingSettings,
    migrations="judging",
)
