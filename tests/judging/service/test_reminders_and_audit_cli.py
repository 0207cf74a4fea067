"""Reminders for jurors with missing scores before a deadline, sent once however many workers look;
and the `verify-audit` command that names the first broken record."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from judging.adapters.tables import BUS_TABLES, AuditRow
from judging.bootstrap import bootstrap
from judging.service_layer.reminders import send_due_reminders
from judging.settings import JudgingSettings
from kaleidoscope_shared.sealing import unseal

from .judging_kit import ORGANISER, REVIEW, bearer, declare, register_jury


async def test_jurors_with_missing_scores_are_reminded_once_before_the_deadline(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    jurors = await register_jury(client, small_contest, 4)
    diligent = jurors[2]  # the other three leave entries unscored
    deadline = datetime.now(UTC) + timedelta(hours=2)
    stage = await declare(client, small_contest, {**REVIEW, "deadline": deadline.isoformat()})
    await client.post(f"/contests/{small_contest}/stages/{stage['id']}/open", headers=ORGANISER)
    for entry in (
        await client.get(
            f"/contests/{small_contest}/stages/{stage['id']}/my-entries", headers=bearer(diligent)
        )
    ).json():
        url = f"/contests/{small_contest}/stages/{stage['id']}/entries/{entry['id']}/my-score"
        await client.put(
            url, json={"marks": {"relevance": 5, "novelty": 5, "replicability": 5}}, headers=bearer(diligent)
        )
    runtime = bootstrap(settings)
    try:
        assert await send_due_reminders(runtime, lead=timedelta(hours=1)) == 0, "not yet within the lead time"
        assert await send_due_reminders(runtime, lead=timedelta(hours=3)) == 3
        assert await send_due_reminders(runtime, lead=timedelta(hours=3)) == 0, "a stage is reminded once"
    finally:
        await runtime.close()
    reminded = await reminder_payloads(settings)
    assert len(reminded) == 3 and diligent["id"] not in {r["juror_id"] for r in reminded}
    assert all(len(r["missing_entry_ids"]) > 0 and r["stage_name"] == "review" for r in reminded)
    for r in reminded:  # the link in the reminder, sealed on the bus, signs the juror in
        assert r["personal_link"] is None and "ticket" not in str(r)
        link = unseal(r["sealed_personal_link"], settings.link_key.get_secret_value())
        ticket = link.removeprefix("http://127.0.0.1:8000/jury/sign-in?ticket=")
        me = await client.get("/jurors/me", headers={"Authorization": f"Bearer {ticket}"})
        assert me.json()["id"] == r["juror_id"]


async def reminder_payloads(settings: JudgingSettings) -> list[dict[str, Any]]:
    runtime = bootstrap(settings)
    outbox = BUS_TABLES.outbox
    try:
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(outbox.c.envelope).where(outbox.c.stream.like("%.juror-reminder-due.v1"))
            )
            return [json.loads(envelope)["payload"] for (envelope,) in rows]
    finally:
        await runtime.close()


async def test_verify_audit_names_the_first_broken_record(
    settings: JudgingSettings, client: httpx.AsyncClient, small_contest: uuid.UUID
) -> None:
    await register_jury(client, small_contest, 3)
    env = {**os.environ, "JUDGING_DATABASE_URL": settings.database_url, "JUDGING_CREATE_TABLES": "false"}
    command = [sys.executable, "-m", "judging", "verify-audit", str(small_contest)]
    intact = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
    )
    assert intact.returncode == 0 and "3 records, chain intact" in intact.stdout
    runtime = bootstrap(settings)
    try:
        async with runtime.sessions() as session, session.begin():
            await session.execute(
                update(AuditRow)
                .where(AuditRow.contest_id == small_contest, AuditRow.sequence == 2)
                .values(kind="tampered")
            )
    finally:
        await runtime.close()
    broken = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
    )
    assert broken.returncode == 1 and "first broken record is sequence 2" in broken.stderr
