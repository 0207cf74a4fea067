"""Entry points: `create_app` (the API, an app factory), `worker`, and `cli` running either process."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from kaleidoscope_shared.entrypoint import service_cli
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.observability.logging import configure_logging
from kaleidoscope_shared.worker import run_worker

from .bootstrap import Submissions, bootstrap
from .domain.clock import Clock
from .entrypoints.bus import HANDLERS
from .entrypoints.errors import install_error_handlers
from .entrypoints.http import ROUTERS
from .entrypoints.scheduler import deadline_scheduler, upload_sweeper
from .settings import SubmissionsSettings


def create_app(settings: SubmissionsSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or SubmissionsSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    submissions = bootstrap(settings, clock=clock)
    # Uploads stream their body to storage: the limit of any other body (max_body_bytes) is not theirs.
    app = create_service_app(
        "Kaleidoscope submissions",
        submissions.runtime,
        body_limits={"/contests/{contest_id}/attachments": settings.max_request_bytes},
    )
    app.state.submissions = submissions
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


async def worker(
    settings: SubmissionsSettings | None = None,
    stop: asyncio.Event | None = None,
    *,
    clock: Clock | None = None,
) -> None:
    settings = settings or SubmissionsSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    submissions: Submissions = bootstrap(settings, clock=clock)
    scheduler = deadline_scheduler(submissions.context, settings.deadline_check_interval_s)
    sweeper = upload_sweeper(submissions.context, settings.upload_sweep_interval_s)
    await run_worker(submissions.runtime, handlers=HANDLERS, stop=stop, background=[scheduler, sweeper])


cli = service_cli(
    help_text="The submissions service: contests, participants and entries.",
    app_factory="submissions.main:create_app",
    default_port=8001,
    worker=worker,
    settings=SubmissionsSettings,
    migrations="submissions",
)
