"""The three services as real processes on a real Redis: an entry posted to submissions is recorded by
judging and by notifications exactly once; a killed worker, a restarted Redis lose nothing."""

from __future__ import annotations

import asyncio
import os
import random
import time
from pathlib import Path

import httpx
import pytest

from judging.adapters.tables import EntryCopy
from kaleidoscope_cli.embedded_redis import RedisServer
from kaleidoscope_cli.stack import Stack
from kaleidoscope_shared.bus.tables import bus_tables
from notifications.adapters.tables import DeliveryRow
from submissions.adapters.tables import METADATA as SUBMISSIONS_METADATA
from submissions.bootstrap import bootstrap as submissions_bootstrap
from submissions.domain import EntryContent
from submissions.entrypoints.contests import ContestCreate
from submissions.service_layer.contests import create_contest, publish_contest
from submissions.service_layer.entries import submit_entry
from submissions.settings import SubmissionsSettings

from ..conftest import database_urls_for_processes, postgres_available
from ..polling import wait_until
from .helpers import FAST_BUS, contest_body, count_rows, entry_body, open_contest

pytestmark = pytest.mark.slow

JUDGING_INBOX = bus_tables(EntryCopy.metadata).inbox
SUBMISSIONS_OUTBOX = bus_tables(SUBMISSIONS_METADATA).outbox


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not postgres_available():
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    return str(request.param)


def make_stack(tmp_path: Path, redis_url: str, namespace: str, backend: str, **kwargs: object) -> Stack:
    urls = database_urls_for_processes(tmp_path, 3, backend)
    return Stack(
        tmp_path / "data",
        redis_url,
        namespace=namespace,
        log_to_files=True,
        database_urls=dict(zip(("submissions", "judging", "notifications"), urls, strict=True)),
        extra_env=FAST_BUS,
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_entry_reaches_judging_and_notifications_exactly_once(
    tmp_path: Path, redis_url: str, namespace: str, backend: str
) -> None:
    stack = make_stack(tmp_path, redis_url, namespace, backend).start()
    try:
        contest = open_contest(stack.url("submissions"))
        response = httpx.post(
            f"{stack.url('submissions')}/contests/{contest}/entries", json=entry_body("Рюкзачок знаний")
        )
        assert response.status_code == 201, response.text
        entry_id = response.json()["id"]
        judging_db, notifications_db = stack.database_urls["judging"], stack.database_urls["notifications"]  # type: ignore[index]
        wait_until(
            lambda: count_rows(judging_db, EntryCopy.__table__) == 1, 30, "judging to record the entry"
        )
        wait_until(
            lambda: count_rows(notifications_db, DeliveryRow.__table__, DeliveryRow.status == "sent") == 1,
            30,
            "notifications to send the confirmation",
        )
        time.sleep(1.5)  # longer than the reclaim idle time: a redelivery would show now
        listed = httpx.get(f"{stack.url('judging')}/contests/{contest}/entries").json()
        assert [row["id"] for row in listed] == [entry_id]
        assert count_rows(judging_db, JUDGING_INBOX, JUDGING_INBOX.c.event_type == "entry-submitted") == 1
        assert count_rows(notifications_db, DeliveryRow.__table__) == 1
        assert len(list((tmp_path / "data" / "messages").glob("*.json"))) == 1
    finally:
        stack.stop()


def test_killing_a_judging_worker_repeatedly_loses_nothing_and_applies_nothing_twice(
    tmp_path: Path, redis_url: str, namespace: str, backend: str
) -> None:
    stack = make_stack(tmp_path, redis_url, namespace, backend, workers={"judging": 2}).start()
    group = stack.group
    assert group is not None and stack.database_urls is not None
    judging_db = stack.database_urls["judging"]
    victim = next(spec for spec in _judging_worker_specs(stack) if spec.name == "judging-worker-1")
    settings = SubmissionsSettings(
        database_url=stack.database_urls["submissions"], bus_namespace=namespace, create_tables=False
    )
    try:
        total, kills, rng = 2000, 0, random.Random(7)
        for batch in range(20):
            asyncio.run(_submit_many(settings, 100, batch))
            if batch % 4 == 1:
                time.sleep(rng.uniform(0.05, 0.4))
                group.kill(victim.name)  # kill -9 while events flow
                kills += 1
                group.start(victim)  # a new replica, with a new consumer name
        assert kills >= 5
        wait_until(
            lambda: count_rows(judging_db, EntryCopy.__table__) == total, 120, "all entries in judging"
        )
        wait_until(lambda: _pending(redis_url, namespace) == 0, 60, "nothing pending in the judging group")
        assert count_rows(judging_db, JUDGING_INBOX, JUDGING_INBOX.c.event_type == "entry-submitted") == total
        assert count_rows(judging_db, EntryCopy.__table__, EntryCopy.revision == 1) == total
        assert (
            count_rows(
                stack.database_urls["submissions"], SUBMISSIONS_OUTBOX, SUBMISSIONS_OUTBOX.c.status != "sent"
            )
            == 0
        )
    finally:
        stack.stop()


def test_a_redis_restart_mid_flow_is_survived_without_any_process_restarting(
    tmp_path: Path, namespace: str, backend: str
) -> None:
    redis = RedisServer(tmp_path / "own-redis", appendonly=True).start()
    stack = make_stack(tmp_path, redis.url, namespace, backend).start()
    assert stack.group is not None and stack.database_urls is not None
    judging_db, notifications_db = stack.database_urls["judging"], stack.database_urls["notifications"]
    contest = open_contest(stack.url("submissions"))
    entries = f"/contests/{contest}/entries"
    try:
        with httpx.Client(base_url=stack.url("submissions"), timeout=10) as client:
            for i in range(30):
                assert client.post(entries, json=entry_body(f"before {i}")).status_code == 201
            redis.stop()
            for i in range(30):  # the outbox keeps them while the bus is down
                assert client.post(entries, json=entry_body(f"during {i}")).status_code == 201
            time.sleep(1.0)
            redis.start()
            for i in range(30):
                assert client.post(entries, json=entry_body(f"after {i}")).status_code == 201
        wait_until(lambda: count_rows(judging_db, EntryCopy.__table__) == 90, 60, "judging to catch up")
        wait_until(
            lambda: count_rows(notifications_db, DeliveryRow.__table__, DeliveryRow.status == "sent") == 90,
            60,
            "notifications to catch up",
        )
        assert not stack.group.exited(), "no process may have stopped"
        assert count_rows(notifications_db, DeliveryRow.__table__) == 90
    finally:
        stack.stop()
        redis.stop()


def _judging_worker_specs(stack: Stack):  # type: ignore[no-untyped-def]
    from kaleidoscope_cli.processes import service_specs

    return service_specs(
        redis_url=stack.redis_url or "",
        data_dir=stack.data_dir,
        ports=stack.ports,
        workers=stack.workers,
        namespace=stack.namespace,
        database_urls=stack.database_urls,
        extra_env=stack.extra_env,
    )


async def _submit_many(settings: SubmissionsSettings, count: int, batch: int) -> None:
    submissions = submissions_bootstrap(settings)
    try:
        draft = ContestCreate.model_validate(contest_body()).to_contest("Asia/Novokuznetsk")
        contest = await create_contest(submissions.context, draft)
        await publish_contest(submissions.context, contest.id)
        for i in range(count):
            content = EntryContent.model_validate(entry_body(f"entry {batch}-{i}"))
            await submit_entry(submissions.context, contest.id, content)
    finally:
        await submissions.runtime.close()


def _pending(redis_url: str, namespace: str) -> int:
    import redis as redis_sync

    client = redis_sync.Redis.from_url(redis_url)
    try:
        streams = [
            f"{namespace}.entry-submitted.v1",
            f"{namespace}.entry-updated.v1",
            f"{namespace}.entry-withdrawn.v1",
        ]
        return sum(int(client.xpending(s, "judging")["pending"]) for s in streams if client.exists(s))
    finally:
        client.close()


_ = os
