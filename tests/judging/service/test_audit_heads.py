"""The heads a stage's close publishes ("record number N has hash H") are kept at the close, not re-read
from the log: a log rewritten and re-hashed to its end leaves the public head as it was and fails the
check — through the API, from the database (`verify-audit <contest>`) and offline, on the organiser's
export (`verify-audit --file … --head N:HASH`, no database, no settings)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlmodel import col

from judging.adapters.tables import AuditHeadRow, AuditRow
from judging.bootstrap import bootstrap
from judging.domain.audit import GENESIS_HASH, record_hash
from judging.settings import JudgingSettings

from .judging_kit import ORGANISER, REVIEW, declare, register_jury, score_everything


async def verify_audit(*arguments: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "judging", "verify-audit", *arguments]
    return await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def without_settings() -> dict[str, str]:
    """The environment of someone who has the file and this package, and no judging settings at all."""
    return {k: v for k, v in os.environ.items() if not k.startswith("JUDGING_")}


async def rewrite_and_rehash(
    settings: JudgingSettings, contest: uuid.UUID, sequence: int, payload: str
) -> None:
    """What someone with the database could do: give one record another payload, re-hash it and every
    later record so the chain is whole again, and move the stored head along."""
    runtime = bootstrap(settings)
    try:
        async with runtime.sessions() as session, session.begin():
            rows = (
                await session.scalars(
                    select(AuditRow)
                    .where(col(AuditRow.contest_id) == contest)
                    .order_by(col(AuditRow.sequence))
                )
            ).all()
            previous = GENESIS_HASH
            for row in rows:
                text = payload if row.sequence == sequence else row.payload
                digest = record_hash(previous, row.sequence, row.kind, text)
                await session.execute(
                    update(AuditRow)
                    .where(col(AuditRow.contest_id) == contest, col(AuditRow.sequence) == row.sequence)
                    .values(payload=text, previous_hash=previous, hash=digest)
                )
                previous = digest
            await session.execute(
                update(AuditHeadRow).where(col(AuditHeadRow.contest_id) == contest).values(hash=previous)
            )
    finally:
        await runtime.close()


async def export(client: httpx.AsyncClient, contest: uuid.UUID, to: Path) -> list[dict[str, Any]]:
    response = await client.get(f"/contests/{contest}/audit/export", headers=ORGANISER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/jsonl"
    assert response.headers["content-disposition"] == f'attachment; filename="audit-{contest}.jsonl"'
    await asyncio.to_thread(to.write_bytes, response.content)
    return [json.loads(line) for line in response.text.splitlines()]


async def test_a_log_rewritten_and_rehashed_keeps_its_published_head_and_fails_the_check(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID, tmp_path: Path
) -> None:
    contest = small_contest
    jurors = (await register_jury(client, contest, 4))[2:]
    stage = await declare(client, contest, REVIEW)
    await client.post(f"/contests/{contest}/stages/{stage['id']}/open", headers=ORGANISER)
    await score_everything(client, contest, stage, jurors, seed=5)
    closed = await client.post(f"/contests/{contest}/stages/{stage['id']}/close", headers=ORGANISER)
    assert closed.status_code == 200, closed.text
    await register_jury(client, contest, 1)  # records after the close: the head is not the last record

    [published] = (await client.get(f"/contests/{contest}/audit/heads")).json()
    head = f"{published['records']}:{published['audit_head_hash']}"
    whole = (await client.get(f"/contests/{contest}/audit/verification", headers=ORGANISER)).json()
    assert whole["intact"] and whole["records"] == published["records"] + 1
    assert whole["heads"] == [
        {
            "stage_id": stage["id"],
            "stage_name": "review",
            "records": published["records"],
            "audit_head_hash": published["audit_head_hash"],
            "passed": True,
            "first_broken_sequence": None,
        }
    ]

    genuine = tmp_path / "genuine.jsonl"
    lines = await export(client, contest, genuine)
    assert [line["sequence"] for line in lines] == list(range(1, whole["records"] + 1))
    assert lines[published["records"] - 1]["kind"] == "stage_closed"
    assert lines[published["records"] - 1]["hash"] == published["audit_head_hash"]
    assert {line["contest_id"] for line in lines} == {str(contest)}
    offline, cwd = without_settings(), tmp_path / "elsewhere"
    cwd.mkdir()
    checked = await verify_audit("--file", str(genuine), "--head", head, env=offline, cwd=cwd)
    assert checked.returncode == 0, checked.stderr
    assert (
        f"{whole['records']} records, chain intact" in checked.stdout
        and f"head {head} (given): passed" in checked.stdout
    )
    last_only = await verify_audit(
        "--file", str(genuine), "--head-hash", published["audit_head_hash"], env=offline, cwd=cwd
    )
    assert last_only.returncode == 1, "--head-hash is the LAST record's hash; this head has a record after it"

    target = 3  # a record before the close: a juror's registration, given another name
    await rewrite_and_rehash(settings, contest, target, '{"name":"Подставной"}')

    assert (await client.get(f"/contests/{contest}/audit/heads")).json() == [published], (
        "what was published stays"
    )
    broken = (await client.get(f"/contests/{contest}/audit/verification", headers=ORGANISER)).json()
    assert (broken["intact"], broken["first_broken_sequence"]) == (False, published["records"])
    assert [(h["passed"], h["first_broken_sequence"]) for h in broken["heads"]] == [
        (False, published["records"])
    ]

    forged = tmp_path / "forged.jsonl"
    rewritten = await export(client, contest, forged)
    assert json.loads(rewritten[target - 1]["payload"]) == {"name": "Подставной"}
    caught = await verify_audit("--file", str(forged), "--head", head, env=offline, cwd=cwd)
    assert caught.returncode == 1
    assert f"first broken record is sequence {published['records']}" in caught.stderr
    assert f"head {head} (given): failed" in caught.stderr
    alone = await verify_audit("--file", str(forged), env=offline, cwd=cwd)
    assert alone.returncode == 0 and "no published head checked" in alone.stdout, "the chain alone is whole"
    assert list(cwd.iterdir()) == [], "the offline check touched no database"

    with_database = {
        **os.environ,
        "JUDGING_DATABASE_URL": settings.database_url,
        "JUDGING_CREATE_TABLES": "false",
    }
    from_database = await verify_audit(str(contest), env=with_database, cwd=tmp_path)
    assert from_database.returncode == 1, "the closed stage's head is checked without being given"
    assert f"head {head} (stage 'review'): failed" in from_database.stderr


async def test_an_unreadable_copy_or_a_malformed_head_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "log.jsonl"
    copy.write_text('{"sequence": 1}\n', encoding="utf-8")
    refused = await verify_audit("--file", str(copy), env=without_settings(), cwd=tmp_path)
    assert refused.returncode == 2 and "Line 1 lacks" in refused.stderr
    wrong = await verify_audit("--file", str(copy), "--head", "12", env=without_settings(), cwd=tmp_path)
    assert wrong.returncode == 2 and "RECORDS:HASH" in wrong.stderr
