"""The `kaleidoscope` command: run the system on embedded defaults, the demo, and bus operations."""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from kaleidoscope_shared.bus.dead_letters import list_dead_letters, replay_dead_letters
from kaleidoscope_shared.bus.redis import connect
from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN

from .demo import run_demo
from .demo_client import DemoError, Endpoints
from .demo_contest import generated_contest, seed_contest
from .demo_stages import EVERY_JUROR_UP_TO, JURORS_PER_ENTRY
from .demo_summary import summary
from .scenario import Scenario
from .stack import Stack

app = typer.Typer(
    help="Kaleidoscope: run a professional contest end to end.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
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
def demo(
    data_dir: DataDir = Path("data/demo"),
    redis_url: RedisUrl = None,
    entries: Annotated[
        int,
        typer.Option(
            min=0,
            help="Run a bigger generated contest with this many entries instead of the seed's 34: the "
            "seed's nominations and territories, entries, jurors and marks generated from the scenario's "
            "seed, so the same options give the same contest (which juror reviews which entry is "
            "judging's own draw).",
        ),
    ] = 0,
    jurors: Annotated[
        int,
        typer.Option(
            min=1,
            help="Jury size for a generated contest: the scenario's 7 jurors first, then generated ones. "
            f"Above {EVERY_JUROR_UP_TO} jurors each review entry gets {JURORS_PER_ENTRY} of them.",
        ),
    ] = 7,
) -> None:
    """Run the "Library Kaleidoscope" contest end to end through the three services.

    Starts Redis and every service as separate processes on SQLite files in DATA_DIR, then: creates and
    publishes the contest (3 nominations, 19 territories), submits the 34 seed entries, closes
    submissions, registers the jury, scores stage 1 from the scenario file
    (kaleidoscope_cli/scenarios/library_kaleidoscope.json), advances the top 3 of each nomination,
    runs the public final, names one winner per nomination and finishes the contest. Ends with a
    summary: entries by nomination and territory, finalists, winners, messages per channel, and the
    folder of letters and diplomas. Finalists and winners follow from the marks, never from a list.
    Each run starts from an empty DATA_DIR (a folder an earlier demo run made is emptied first).
    """
    started = time.monotonic()
    scenario = Scenario.load()
    now = datetime.now(UTC)
    contest = generated_contest(now, scenario, entries, jurors) if entries else seed_contest(now, scenario)
    fresh_demo_dir(data_dir)
    typer.echo(f"starting Redis and the three services (logs in {data_dir / 'logs'})…")
    stack = Stack(data_dir, redis_url, log_to_files=True).start()
    try:
        endpoints = Endpoints(
            stack.url("submissions"),
            stack.url("judging"),
            stack.url("notifications"),
            DEVELOPMENT_ORGANISER_TOKEN,
        )
        outcome = run_demo(endpoints, contest, typer.echo, scenario, data_dir=stack.data_dir)
    except DemoError as error:
        typer.echo(f"the demo stopped: {error} (logs in {data_dir / 'logs'})", err=True)
        raise typer.Exit(1) from error
    finally:
        stack.stop()
    for line in summary(outcome, contest):
        typer.echo(line)
    typer.echo(f"\ndone in {time.monotonic() - started:.0f}s.")


DEMO_MARKER = ".kaleidoscope-demo"


def fresh_demo_dir(data_dir: Path) -> None:
    """Empty the folder of an earlier demo run, so the summary counts this run's letters only; a
    non-empty folder the demo did not make is left alone and refused."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / DEMO_MARKER).exists():
            typer.echo(f"{data_dir} holds files the demo did not write; choose another --data-dir", err=True)
            raise typer.Exit(2)
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DEMO_MARKER).write_text("written by `kaleidoscope demo`; the next run empties this folder\n")


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
