"""The command line every service shares: `python -m <service> api` and `python -m <service> worker`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import typer
import uvicorn


def service_cli(
    *, help_text: str, app_factory: str, default_port: int, worker: Callable[[], Coroutine[Any, Any, None]]
) -> typer.Typer:
    """A CLI with an `api` command serving `app_factory` ("module:function") and a `worker` command."""
    cli = typer.Typer(help=help_text, no_args_is_help=True)

    @cli.command()
    def api(host: str = "127.0.0.1", port: int = default_port, workers: int = 1) -> None:
        """Serve the HTTP API."""
        uvicorn.run(app_factory, factory=True, host=host, port=port, workers=workers, log_level="warning")

    @cli.command(name="worker")
    def worker_command() -> None:
        """Relay the outbox and consume the events this service listens to."""
        asyncio.run(worker())

    return cli
