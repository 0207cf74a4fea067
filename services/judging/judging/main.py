"""Entry points: `create_app` (the API, an app factory), `worker`, and `cli` running either process."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import typer
from fastapi import FastAPI

from kaleidoscope_shared.entrypoint import service_cli
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.observability.logging import configure_logging
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.worker import run_worker

from .bootstrap import bootstrap
from .entrypoints.bus import HANDLERS
from .entrypoints.http import install
from .service_layer.audit import verify_chain
from .service_layer.reminders import reminder_loop
from .settings import JudgingSettings


def create_app(settings: JudgingSettings | None = None) -> FastAPI:
    settings = settings or JudgingSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    app = create_service_app("Kaleidoscope judging", bootstrap(settings))
    install(app)
    return app


async def worker(settings: JudgingSettings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or JudgingSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    runtime = bootstrap(settings)
    reminders = reminder_loop(
        runtime, timedelta(hours=settings.reminder_lead_hours), settings.reminder_interval_s
    )
    await run_worker(runtime, handlers=HANDLERS, stop=stop, background=[reminders])


cli = service_cli(
    help_text="The judging service: jury, stages, scores, advancement and winners.",
    app_factory="judging.main:create_app",
    default_port=8002,
    worker=worker,
    settings=JudgingSettings,
    migrations="judging",
)


@cli.command("verify-audit")
def verify_audit(contest_id: str, head_hash: str = "") -> None:
    """Check a contest's hash-chained audit log; exit 1 naming the first broken record."""
    runtime = bootstrap(JudgingSettings())
    count, broken = asyncio.run(_verify(runtime, uuid.UUID(contest_id), head_hash or None))
    if broken is None:
        typer.echo(f"audit log of contest {contest_id}: {count} records, chain intact")
        return
    typer.echo(
        f"audit log of contest {contest_id}: first broken record is sequence {broken} (of {count})", err=True
    )
    raise typer.Exit(1)


async def _verify(
    runtime: ServiceRuntime, contest_id: uuid.UUID, head_hash: str | None
) -> tuple[int, int | None]:
    try:
        async with runtime.sessions() as session:
            return await verify_chain(session, contest_id, head_hash)
    finally:
        await runtime.close()
