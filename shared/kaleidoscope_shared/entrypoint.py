"""The command line every service shares: `python -m <service> api`, `… worker` and `… migrate`.

One image runs any of the three (see each service's Dockerfile): the API, the worker, or the one-shot
migration that containers run before either (they start with `<SERVICE>_CREATE_TABLES=false`).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import typer
import uvicorn

from .settings import ServiceSettings

T = TypeVar("T")


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to the end on uvloop, the loop uvicorn gives the APIs, where it is installed (not on
    Windows); else on asyncio's own. A worker spends much of its time in the loop's machinery (a
    contest's end is tens of thousands of sends, each a few tasks, futures and thread hand-offs), and
    uvloop does that work in C."""
    try:
        import uvloop
    except ImportError:  # Windows
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def service_cli(
    *,
    help_text: str,
    app_factory: str,
    default_port: int,
    worker: Callable[[], Coroutine[Any, Any, None]],
    settings: Callable[[], ServiceSettings],
    migrations: str,
) -> typer.Typer:
    """A CLI with an `api` command serving `app_factory` ("module:function"), a `worker` command, and
    a `migrate` command upgrading the database of `settings` with the Alembic revisions of the
    package `migrations` (its `migrations/` folder)."""
    cli = typer.Typer(help=help_text, no_args_is_help=True)

    @cli.command()
    def api(host: str = "127.0.0.1", port: int = default_port, workers: int = 1) -> None:
        """Serve the HTTP API."""
        uvicorn.run(
            app_factory,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            timeout_graceful_shutdown=math.ceil(settings().shutdown_timeout_s),
        )

    @cli.command(name="worker")
    def worker_command() -> None:
        """Relay the outbox and consume the events this service listens to."""
        run_event_loop(worker())

    @cli.command()
    def migrate() -> None:
        """Upgrade the service's database to the newest migration, then exit."""
        from .migrations import upgrade_to_head

        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
        upgrade_to_head(migrations, settings().database_url)
        typer.echo(f"{migrations}: database at the newest migration")

    return cli
