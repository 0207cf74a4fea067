"""The `worker` command every service shares runs its coroutine on uvloop, the loop the APIs get
from uvicorn."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from kaleidoscope_shared.entrypoint import service_cli
from kaleidoscope_shared.settings import ServiceSettings


def test_the_worker_command_runs_on_uvloop() -> None:
    loops: list[str] = []

    async def worker() -> None:
        await asyncio.sleep(0)
        loops.append(type(asyncio.get_running_loop()).__module__)

    cli = service_cli(
        help_text="probe",
        app_factory="probe:app",
        default_port=0,
        worker=worker,
        settings=ServiceSettings,
        migrations="probe",
    )
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 0, result.output
    assert loops == ["uvloop"]
