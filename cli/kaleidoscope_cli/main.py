"""The `kaleidoscope` command: run the system on embedded defaults, the demo, and bus operations."""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import httpx
import typer

from kaleidoscope_shared.bus.dead_letters import list_dead_letters, replay_dead_letters
from kaleidoscope_shared.bus.redis import connect
from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN

from .demo import run_demo
from .demo_against import demo_against
from .demo_client import DemoError, Endpoints
from .demo_contest import generated_contest, seed_contest
from .demo_stages import EVERY_JUROR_UP_TO, JURORS_PER_ENTRY
from .demo_summary import summary, web_pages
from .processes import SERVICES
from .scenario import Scenario
from .scrub import scrub_private_links
from .stack import (
    DEFAULT_WEB_PORT,
    REDIS,
    WEB,
    Stack,
    choose_web_port,
    port_holder,
    port_is_free,
    port_layout,
)
from .status import collect, process_alive, read_state, record_stop, remove_state, state_path, write_state
from .words import Language, fit, say

app = typer.Typer(
    help="Kaleidoscope: run a professional contest end to end.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
dead_letters = typer.Typer(
    help="List and replay events that a service could not apply.", no_args_is_help=True
)
app.add_typer(dead_letters, name="dead-letters")
bus = typer.Typer(help="Operator commands on the Redis bus.", no_args_is_help=True)
app.add_typer(bus, name="bus")

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
        help=f"The web front's port on 127.0.0.1; each service's API on the next ports (+1 submissions, "
        f"+2 judging, +3 notifications), then each worker's /metrics and the embedded Redis. Refused "
        f"when one of them is taken. Default {DEFAULT_WEB_PORT}, or free ports while one of "
        f"{DEFAULT_WEB_PORT}'s is taken.",
        show_default=False,
    ),
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Also print every process's log lines here, each prefixed by its name (they always go to "
        "DATA_DIR/logs/).",
    ),
]


@app.command()
def up(
    data_dir: DataDir = Path("data"),
    redis_url: RedisUrl = None,
    port: WebPort = None,
    verbose: Verbose = False,
) -> None:
    """Start the web front, every service's API and worker (and an embedded Redis) until Ctrl-C or
    SIGTERM. Prints the addresses first and again once everything answers; `kaleidoscope status`
    shows how it is doing."""
    refuse_a_second_launcher(data_dir)
    layout = port_layout(port or DEFAULT_WEB_PORT, embedded_redis=not redis_url)
    taken = next(((name, number) for name, number in layout.items() if not port_is_free(number)), None)
    if taken and port is not None:
        refuse_taken_port(port, *taken, last=max(layout.values()))
    stack = Stack(
        data_dir,
        redis_url,
        echo=typer.echo if verbose else None,
        log_to_files=True,
        web_port=port or (choose_web_port(None) if taken else DEFAULT_WEB_PORT),
        fixed_ports=not taken,
    ).assign_ports()
    stop_on_signals()
    crashed: dict[str, int] = {}
    try:
        for line in address_table(stack):
            typer.echo(line)
        typer.echo(f"starting… (logs in {data_dir / 'logs'})")
        stack.start()
        write_state(stack)
        typer.echo("")
        for line in address_table(stack):
            typer.echo(line)
        typer.echo(f"ready; `kaleidoscope status --data-dir {data_dir}` shows its health; Ctrl-C stops it")
        crashed = run_until_stopped(stack)
    except KeyboardInterrupt:
        pass
    except RuntimeError as error:
        typer.echo(f"could not start: {error}", err=True)
        raise typer.Exit(1) from error
    finally:
        typer.echo("stopping…")
        stack.stop()
        if crashed:
            record_stop(data_dir, crashed)  # `status` then says why it stopped
        else:
            remove_state(data_dir)
        typer.echo("stopped")
    if crashed:
        raise typer.Exit(1)


def refuse_a_second_launcher(data_dir: Path) -> None:
    state = read_state(data_dir)
    if state is None:
        return
    if process_alive(int(state["launcher_pid"])):
        typer.echo(
            f"`kaleidoscope up` already runs on {data_dir} (pid {state['launcher_pid']}, "
            f"{state['web_url']}); stop it first or choose another --data-dir",
            err=True,
        )
        raise typer.Exit(2)
    remove_state(data_dir)  # left by a launcher that was killed


def refuse_taken_port(base: int, name: str, number: int, last: int) -> None:
    holder = port_holder(number)
    what = "the web front" if name == WEB else "Redis" if name == REDIS else name
    typer.echo(
        f"port {number} is taken{f' by {holder}' if holder else ''}: `up --port {base}` puts {what} "
        f"there (it uses ports {base}–{last}); stop that process or choose another --port",
        err=True,
    )
    raise typer.Exit(2)


def address_table(stack: Stack) -> list[str]:
    """Where everything answers, as a short table: printed first, and again once it all runs."""
    rows = [("Kaleidoscope:", stack.web_url, "the web front")]
    rows += [(f"{service}:", stack.url(service), "API, its documents at /docs") for service in SERVICES]
    metrics = ", ".join(str(number) for number in stack.metrics_ports.values())
    rows.append(("workers:", f"/metrics on ports {metrics}", ""))
    redis = stack.redis_url or f"redis://127.0.0.1:{stack.redis_port}/0"
    embedded = stack.redis is not None or not stack.redis_url
    rows.append(("Redis:", redis, "embedded, its data in DATA_DIR/redis" if embedded else ""))
    width = max(len(row[1]) for row in rows)
    return [f"{name:<15}{where:<{width}}  {note}".rstrip() for name, where, note in rows]


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both stop everything, also while it starts.

    Both handlers are set here: a launcher started in the background of a script inherits SIGINT
    ignored (shells do that to background jobs), and Python then leaves it ignored."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)


def run_until_stopped(stack: Stack) -> dict[str, int]:
    """Wait for Ctrl-C or SIGTERM (then nothing is returned), or for a process to stop by itself (then
    its name and exit code); the caller stops the rest."""
    stop_on_signals()
    try:
        while not (crashed := stack.group.exited()):  # type: ignore[union-attr]
            time.sleep(0.5)
        typer.echo(f"a process stopped by itself: {crashed}; stopping the others")
        return crashed
    except KeyboardInterrupt:
        return {}


def _interrupt(*_: object) -> None:
    # One signal is enough: further ones are ignored while the processes stop (each within 10 s).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


class SummaryLanguage(StrEnum):
    ru = "ru"
    en = "en"


def chosen(language: SummaryLanguage) -> Language:
    return "en" if language is SummaryLanguage.en else "ru"


LanguageOption = Annotated[
    SummaryLanguage,
    typer.Option(
        "--language",
        envvar="KALEIDOSCOPE_LANGUAGE",
        help="The language of everything it prints: ru (Russian) or en (English, the contest's names "
        "transliterated).",
    ),
]


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
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            metavar="GATEWAY_URL",
            help="Start nothing: run the seed contest through the gateway of a running deployment (a "
            "container stack, a Kubernetes install), check what it produced and follow a diploma's "
            "verification link through it. Exit status 1 when a check fails.",
        ),
    ] = None,
    organiser_token: Annotated[
        str | None,
        typer.Option(
            envvar="KALEIDOSCOPE_ORGANISER_TOKEN", help="The deployment's organiser token (--against)."
        ),
    ] = None,
    language: LanguageOption = SummaryLanguage.ru,
) -> None:
    """Run the "Library Kaleidoscope" contest end to end through the three services.

    Starts Redis and every service as separate processes on SQLite files in DATA_DIR, then: creates and
    publishes the contest (3 nominations, 19 territories), submits the 34 seed entries, closes
    submissions, registers the jury, scores stage 1 from the scenario file
    (kaleidoscope_cli/scenarios/library_kaleidoscope.json), advances the top 3 of each nomination,
    runs the public final, names one winner per nomination and the jury's special mention, and
    finishes the contest. Ends with a summary: entries by nomination and territory, finalists,
    winners, messages per channel, and the folder of letters and diplomas. Finalists and winners
    follow from the marks, never from a list. Each run starts from an empty DATA_DIR (a folder an
    earlier demo run made is emptied first).
    The web front runs beside them on a free port (its address is printed first); with
    --keep-running it stays up after the summary, to browse the finished contest.
    """
    started = time.monotonic()
    words = chosen(language)
    if against:
        demo_against_deployment(against, organiser_token or DEVELOPMENT_ORGANISER_TOKEN, started, words)
        return
    scenario = Scenario.load()
    now = datetime.now(UTC)
    contest = generated_contest(now, scenario, entries, jurors) if entries else seed_contest(now, scenario)
    fresh_demo_dir(data_dir, words)
    stack = Stack(data_dir, redis_url, log_to_files=True, web_port=choose_web_port(None))
    typer.echo(f"Kaleidoscope: {stack.web_url}")
    tell(say(words, "demo_starting", logs=data_dir / "logs"))
    stop_on_signals()
    try:
        stack.start()
        endpoints = Endpoints(
            stack.url("submissions"),
            stack.url("judging"),
            stack.url("notifications"),
            DEVELOPMENT_ORGANISER_TOKEN,
        )
        outcome = run_demo(endpoints, contest, typer.echo, scenario, data_dir=stack.data_dir, language=words)
        for line in summary(outcome, contest, words):
            typer.echo(line)
        typer.echo("\n" + say(words, "done", n=f"{time.monotonic() - started:.0f}"))
        if keep_running:
            for line in web_pages(stack.web_url, outcome, words):
                typer.echo(line)
            run_until_stopped(stack)
        else:
            typer.echo(say(words, "keep_running_hint"))
    except KeyboardInterrupt:
        typer.echo(say(words, "demo_interrupted"), err=True)
        raise typer.Exit(130) from None
    except (DemoError, RuntimeError) as error:
        told = error.told(words) if isinstance(error, DemoError) else str(error)
        stopped = say(words, "demo_stopped", error=told, logs=data_dir / "logs")
        tell(stopped + stack.exited_report(language=words), err=True)
        raise typer.Exit(1) from error
    finally:
        stack.stop()


def tell(text: str, err: bool = False) -> None:
    """`text` in lines that fit a terminal (wrapped at spaces; an address longer than that kept whole)."""
    for line in text.splitlines() or [""]:
        for part in fit(line):
            typer.echo(part, err=err)


def demo_against_deployment(
    gateway_url: str, organiser_token: str, started: float, language: Language
) -> None:
    tell(say(language, "against_starting", url=gateway_url))
    try:
        checks = demo_against(gateway_url, organiser_token, typer.echo, language=language)
    except (DemoError, httpx.HTTPError) as error:
        told = error.told(language) if isinstance(error, DemoError) else str(error)
        tell(say(language, "demo_stopped_short", error=told), err=True)
        raise typer.Exit(1) from error
    for line in checks.lines(language):
        typer.echo(line)
    typer.echo(say(language, "against_done", n=f"{time.monotonic() - started:.0f}"))
    if checks.failed:
        raise typer.Exit(1)


DEMO_MARKER = ".kaleidoscope-demo"


def fresh_demo_dir(data_dir: Path, language: Language = "ru") -> None:
    """Empty the folder of an earlier demo run, so the summary counts this run's letters only; a
    non-empty folder the demo did not make is left alone and refused."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / DEMO_MARKER).exists():
            tell(say(language, "not_demo_dir", dir=data_dir), err=True)
            raise typer.Exit(2)
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DEMO_MARKER).write_text("written by `kaleidoscope demo`; the next run empties this folder\n")


@app.command()
def status(
    data_dir: Annotated[Path, typer.Option(help="The --data-dir `kaleidoscope up` was started with.")] = Path(
        "data"
    ),
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for each answer.")] = 2.0,
    language: LanguageOption = SummaryLanguage.ru,
) -> None:
    """How the stack `kaleidoscope up` runs is doing: each process's health (an API's /ready, the web
    front's /health, a worker's /metrics, Redis), each consumer group's lag, pending entries and dead
    letters, and each service's outbox backlog (events not yet relayed to Redis).

    Exit status 0 when every process answers, 1 when one does not (or Redis or a database does not),
    2 when no `kaleidoscope up` runs on DATA_DIR."""
    words = chosen(language)
    state = read_state(data_dir)
    if state is not None and state.get("stopped"):
        stopped = state["stopped"]
        exited = ", ".join(
            say(words, "exit_code", name=name, code=code) for name, code in stopped["exited"].items()
        )
        said = say(words, "up_stopped", dir=data_dir, at=stopped["at"], exited=exited, logs=state["logs"])
        tell(said, err=True)
        raise typer.Exit(1)
    if state is None:
        tell(say(words, "no_up", dir=data_dir, state=state_path(data_dir)), err=True)
        raise typer.Exit(2)
    report = collect(state, timeout)
    for line in report.lines(language=words):
        typer.echo(line)
    if not report.healthy:
        raise typer.Exit(1)


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


@bus.command("scrub-private-links")
def scrub_private_links_command(
    redis_url: Annotated[str, typer.Option(envvar="KALEIDOSCOPE_REDIS_URL")] = "redis://127.0.0.1:6379/0",
    namespace: str = "kaleidoscope",
) -> None:
    """Delete the EntrySubmitted, JurorAssigned and JurorReminderDue messages that still carry a
    private or sign-in link in clear (written before links were sealed), once every consumer group is
    done with them. Run it after upgrading; run it again if it reports messages kept."""

    async def scrub() -> None:
        redis = connect(redis_url)
        try:
            for result in await scrub_private_links(redis, namespace):
                typer.echo(f"{result.stream}: {result.deleted} deleted, {result.kept} kept (still needed)")
        finally:
            await redis.aclose()

    asyncio.run(scrub())
