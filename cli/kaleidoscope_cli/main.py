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
from .demo_summary import summary, web_pages
from .processes import SERVICES
from .scenario import Scenario
from .stack import DEFAULT_WEB_PORT, Stack, choose_web_port, port_is_free

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


WebPort = Annotated[
    int | None,
    typer.Option(
        "--port",
        min=1,
        max=65535,
        help=f"The web front's port on 127.0.0.1 (default {DEFAULT_WEB_PORT}, or a free port while "
        f"{DEFAULT_WEB_PORT} is taken).",
        show_default=False,
    ),
]


@app.command()
def up(data_dir: DataDir = Path("data"), redis_url: RedisUrl = None, port: WebPort = None) -> None:
    """Start the web front, every service's API and worker (and an embedded Redis) until Ctrl-C."""
    if port is not None and not port_is_free(port):
        typer.echo(f"port {port} is taken; choose another --port", err=True)
        raise typer.Exit(2)
    stack = Stack(data_dir, redis_url, echo=typer.echo, web_port=port or choose_web_port())
    try:
        stack.start()
        typer.echo(f"Kaleidoscope: {stack.web_url}")
        for service in SERVICES:
            typer.echo(f"{service}: {stack.url(service)}  (docs at {stack.url(service)}/docs)")
        run_until_stopped(stack)
    except RuntimeError as error:
        typer.echo(f"could not start: {error}", err=True)
        raise typer.Exit(1) from error
    finally:
        typer.echo("stopping…")
        stack.stop()


def run_until_stopped(stack: Stack) -> None:
    """Wait for Ctrl-C or SIGTERM, or for a process to stop by itself; the caller stops the rest.

    Both handlers are set here: a launcher started in the background of a script inherits SIGINT
    ignored (shells do that to background jobs), and Python then leaves it ignored."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        while not (crashed := stack.group.exited()):  # type: ignore[union-attr]
            time.sleep(0.5)
        typer.echo(f"a process stopped by itself: {crashed}; stopping the others")
    except KeyboardInterrupt:
        pass


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
    keep_running: Annotated[
        bool,
        typer.Option(
            "--keep-running",
            help="After the summary, keep the web front and every service running, and print the "
            "contest's pages (contest, results, hall), until Ctrl-C.",
        ),
    ] = False,
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
    The web front runs beside them on a free port (its address is printed first); with
    --keep-running it stays up after the summary, to browse the finished contest.
    """
    started = time.monotonic()
    scenario = Scenario.load()
    now = datetime.now(UTC)
    contest = generated_contest(now, scenario, entries, jurors) if entries else seed_contest(now, scenario)
    fresh_demo_dir(data_dir)
    stack = Stack(data_dir, redis_url, log_to_files=True, web_port=choose_web_port(None))
    typer.echo(f"Kaleidoscope: {stack.web_url}")
    typer.echo(f"starting Redis, the three services and the web front (logs in {data_dir / 'logs'})…")
    try:
        stack.start()
        endpoints = Endpoints(
            stack.url("submissions"),
            stack.url("judging"),
            stack.url("notifications"),
            DEVELOPMENT_ORGANISER_TOKEN,
        )
        outcome = run_demo(endpoints, contest, typer.echo, scenario, data_dir=stack.data_dir)
        for line in summary(outcome, contest):
            typer.echo(line)
        typer.echo(f"\ndone in {time.monotonic() - started:.0f}s.")
        if keep_running:
            for line in web_pages(stack.web_url, outcome):
                typer.echo(line)
            run_until_stopped(stack)
        else:
            typer.echo("(`kaleidoscope demo --keep-running` keeps it running, to browse the contest)")
    except (DemoError, RuntimeError) as error:
        typer.echo(f"the demo stopped: {error} (logs in {data_dir / 'logs'})", err=True)
        raise typer.Exit(1) from error
    finally:
        stack.stop()


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
