"""The `kaleidoscope` command: run the system on embedded defaults, the demo, and bus operations."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from kaleidoscope_shared.bus.dead_letters import list_dead_letters, replay_dead_letters
from kaleidoscope_shared.bus.redis import connect

from .demo import run_demo
from .stack import Stack

app = typer.Typer(help="Kaleidoscope: run a professional contest end to end.", no_args_is_help=True)
dead_letters = typer.Typer(
    help="List and replay events that a service could not apply.", no_args_is_help=True
)
app.add_typer(dead_letters, name="dead-letters")

DataDir = Annotated[Path, typer.Option(help="Folder for the SQLite files, logs, messages and documents.")]
RedisUrl = Annotated[
    str | None,
    typer.Option(envvar="KALEIDOSCOPE_REDIS_URL", help="Use this Redis instead of an embedded one."),
]


@app.command()
def up(data_dir: DataDir = Path("data"), redis_url: RedisUrl = None) -> None:
    """Start every service's API and worker (and an embedded Redis) until Ctrl-C."""
    stack = Stack(data_dir, redis_url, echo=typer.echo).start()
    for service in ("submissions", "judging", "notifications"):
        typer.echo(f"{service}: {stack.url(service)}  (docs at {stack.url(service)}/docs)")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while not (crashed := stack.group.exited()):  # type: ignore[union-attr]
            time.sleep(0.5)
        typer.echo(f"a process stopped by itself: {crashed}; stopping the others")
    except KeyboardInterrupt:
        pass
    finally:
        typer.echo("stopping…")
        stack.stop()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


@app.command()
def demo(data_dir: DataDir = Path("data/demo"), redis_url: RedisUrl = None) -> None:
    """Start everything, push one entry through the three services, show what each did, stop."""
    typer.echo("starting Redis and the three services (logs in data/demo/logs)…")
    stack = Stack(data_dir, redis_url, log_to_files=True).start()
    try:
        run_demo(stack, typer.echo)
    finally:
        stack.stop()
    typer.echo("done.")


@dead_letters.command("list")
def list_command(
    group: Annotated[
        str, typer.Argument(help="The consuming service: submissions, judging or notifications.")
    ],
    redis_url: Annotated[str, typer.Option(envvar="KALEIDOSCOPE_REDIS_URL")] = "redis://127.0.0.1:6379/0",
    namespace: str = "kaleidoscope",
) -> None:
    """Show the dead letters of one service: the event, the reason and the last error."""

    async def show() -> None:
        redis = connect(redis_url)
        for letter in await list_dead_letters(redis, namespace, group):
            typer.echo(
                f"{letter.id}  {letter.stream}  {letter.reason}  tries={letter.deliveries}  {letter.error}"
            )
        await redis.aclose()

    asyncio.run(show())


@dead_letters.command("replay")
def replay_command(
    group: Annotated[str, typer.Argument(help="The consuming service whose dead letters to replay.")],
    ids: Annotated[list[str] | None, typer.Option("--id", help="Replay only these dead letters.")] = None,
    redis_url: Annotated[str, typer.Option(envvar="KALEIDOSCOPE_REDIS_URL")] = "redis://127.0.0.1:6379/0",
    namespace: str = "kaleidoscope",
) -> None:
    """Put dead letters back on their streams (after the cause is fixed); applied events are skipped."""

    async def replay() -> None:
        redis = connect(redis_url)
        replayed = await replay_dead_letters(redis, namespace, group, ids or None)
        typer.echo(f"replayed {len(replayed)} dead letter(s)")
        await redis.aclose()

    asyncio.run(replay())
