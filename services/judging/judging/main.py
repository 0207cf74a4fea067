"""Entry points: `create_app` (the API, an app factory), `worker`, and `cli` running either process."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from fastapi import FastAPI

from kaleidoscope_shared.entrypoint import service_cli
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.observability.logging import configure_logging
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.worker import run_worker

from .bootstrap import bootstrap, unit_of_work
from .domain import ChainCheck, PublishedHead, check_chain, parse_export
from .entrypoints.bus import HANDLERS
from .entrypoints.http import install
from .service_layer.queries import AuditVerification, audit_verification
from .service_layer.reminders import reminder_loop
from .settings import JudgingSettings


def create_app(settings: JudgingSettings | None = None) -> FastAPI:
    settings = settings or JudgingSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    runtime = bootstrap(settings)
    app = create_service_app("Kaleidoscope judging", runtime)
    app.state.unit_of_work = unit_of_work(runtime)
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
def verify_audit(
    contest_id: Annotated[
        str | None, typer.Argument(help="The contest whose log to read from the database (not with --file).")
    ] = None,
    head: Annotated[
        list[str] | None,
        typer.Option(
            "--head",
            metavar="RECORDS:HASH",
            help="A published head: record number RECORDS has hash HASH (the public results list one per "
            "closed stage). Repeatable.",
        ),
    ] = None,
    head_hash: Annotated[
        str,
        typer.Option(
            help="The hash the LAST record must have (StageClosed's audit_head_hash when nothing "
            "was written after that close); for a head followed by later records use --head."
        ),
    ] = "",
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="Check a copy of the log (GET /contests/<id>/audit/export: JSON lines) instead of the "
            "database: needs no settings and no server.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check a contest's hash-chained audit log and each head given; exit 1 naming the first broken
    record. From the database, the heads the closed stages published are checked too."""
    try:
        heads = [PublishedHead.parse(h) for h in head or []]
        last_hash = head_hash.strip().lower() or None
        if last_hash is not None:
            PublishedHead(1, last_hash)  # the same rules as any head's hash
        contest = None if contest_id is None else uuid.UUID(contest_id)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if (file is None) == (contest is None):
        raise typer.BadParameter(
            "Give a contest id (its log in the database) or --file (a copy), one of them."
        )
    rows: list[tuple[int, str, int | None, str | None]]  # records, hash, first broken, stage
    if file is not None:
        check = _check_file(file, heads, last_hash)
        name, records, broken = f"audit log in {file}", check.records, check.first_broken
        rows = [(c.head.records, c.head.hash, c.first_broken, None) for c in check.heads]
    else:
        assert contest is not None  # one of the two, as checked above
        runtime = bootstrap(JudgingSettings())
        verdict = asyncio.run(_verify(runtime, contest, heads, last_hash))
        name, records, broken = f"audit log of contest {contest_id}", verdict.records, verdict.first_broken
        rows = [(h.records, h.hash, h.first_broken, h.stage_name) for h in verdict.heads]
    lines = []
    for i, (number, digest, failed_at, stage) in enumerate(rows):
        by_hand = "the last record" if last_hash is not None and i == len(rows) - 1 else "given"
        label = f"stage {stage!r}" if stage is not None else by_hand
        outcome = "passed" if failed_at is None else f"failed: first broken record {failed_at}"
        lines.append(f"  head {number}:{digest} ({label}): {outcome}")
    if not rows:
        lines.append(
            "  no published head checked: a log rewritten and re-hashed to its end passes the chain alone "
            "(give --head RECORDS:HASH from the public results)"
        )
    if broken is None:
        typer.echo("\n".join([f"{name}: {records} records, chain intact", *lines]))
        return
    typer.echo(
        "\n".join([f"{name}: first broken record is sequence {broken} (of {records})", *lines]), err=True
    )
    raise typer.Exit(1)


def _check_file(path: Path, heads: list[PublishedHead], last_hash: str | None) -> ChainCheck:
    """A copy of the log (JSON lines) checked; exit 2 when it cannot be read as one."""
    try:
        with path.open(encoding="utf-8") as lines:
            records = parse_export(lines)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        typer.echo(f"{path}: {error}", err=True)
        raise typer.Exit(2) from None
    if last_hash is not None:
        heads = [*heads, PublishedHead(max(len(records), 1), last_hash)]
    return check_chain(records, heads)


async def _verify(
    runtime: ServiceRuntime, contest_id: uuid.UUID, heads: list[PublishedHead], last_hash: str | None
) -> AuditVerification:
    try:
        return await audit_verification(
            unit_of_work(runtime), contest_id, heads, last_hash, contest_must_exist=False
        )
    finally:
        await runtime.close()
