"""What the fault scenarios share: the scale, the whole system as real processes with a webhook
receiver counting every message it gets, a producer of entries, and the count that makes a row.

How a row is counted (one EntrySubmitted per entry, one author with an e-mail, so one confirmation):
- produced: EntrySubmitted rows in submissions' outbox;
- applied: the events in both consumers' inboxes (judging and notifications), and messages received;
- applied twice: judging's entry copies beyond one per entry or at a revision above 1, notifications'
  copies above revision 1, confirmations beyond one per event;
- pending: XPENDING (and unread lag) of every group on every stream of the namespace;
- dead-lettered: XLEN of every `{namespace}.dead-letters.{group}` stream;
- lost: produced events missing from judging's inbox, notifications' inbox or the receiver;
- sent twice: webhook deliveries the receiver got more than once (by their webhook-id).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis as redis_sync
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from judging.adapters.tables import EntryCopy as JudgingEntry
from kaleidoscope_cli.processes import ProcessSpec, service_specs
from kaleidoscope_cli.stack import WEB, Stack
from kaleidoscope_shared.bus.tables import bus_tables
from kaleidoscope_shared.db import is_database_unavailable
from notifications.adapters.tables import DeliveryRow
from notifications.adapters.tables import EntryCopy as NotificationsEntry
from notifications.channels.webhook import generate_secret
from submissions.adapters.tables import METADATA as SUBMISSIONS_METADATA
from submissions.bootstrap import bootstrap as submissions_bootstrap
from submissions.domain import EntryContent
from submissions.entrypoints.contests import ContestCreate
from submissions.service_layer.contests import create_contest, publish_contest
from submissions.service_layer.entries import submit_entry
from submissions.settings import SubmissionsSettings

from ..e2e.helpers import FAST_BUS, contest_body, entry_body

SUBMISSIONS_OUTBOX = bus_tables(SUBMISSIONS_METADATA).outbox
JUDGING_INBOX = bus_tables(JudgingEntry.metadata).inbox
NOTIFICATIONS_INBOX = bus_tables(NotificationsEntry.metadata).inbox
ENTRY_SUBMITTED = "entry-submitted"

# A dispatcher holds at most two claimed batches; a crash (or a database that stops answering)
# before their outcomes are recorded sends those again, with the same webhook-id.
DISPATCH_BATCH = 20
IN_FLIGHT = 2 * DISPATCH_BATCH


@dataclass(frozen=True)
class Scale:
    name: str
    entries: int
    outage_s: float
    kills_per_worker: int
    converge_s: float


SCALES = {
    "full": Scale("full", entries=1000, outage_s=60, kills_per_worker=10, converge_s=240),
    "ci": Scale("ci", entries=250, outage_s=20, kills_per_worker=10, converge_s=180),
}


def scale() -> Scale:
    name = os.environ.get("CHAOS_SCALE", "full") or "full"
    if name not in SCALES:
        raise ValueError(f"CHAOS_SCALE={name!r}: choose one of {', '.join(SCALES)}")
    return SCALES[name]


# --- the table ---------------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    produced: int = 0
    applied: int = 0
    applied_twice: int = 0
    pending: int = 0
    dead_lettered: int = 0
    lost: int = 0
    sent: int = 0
    sent_twice: int = 0
    sent_twice_bound: int = 0
    kills: int = 0
    kills_with_backlog: int = 0
    outage_s: float = 0.0
    seconds: float = 0.0
    notes: str = ""
    problems: list[str] = field(default_factory=list)

    def check(self) -> list[str]:
        """What this row breaks of the suite's promises (empty when it passes)."""
        broken = list(self.problems)
        if self.lost:
            broken.append(f"{self.lost} lost")
        if self.applied_twice:
            broken.append(f"{self.applied_twice} applied twice")
        if self.pending:
            broken.append(f"{self.pending} pending")
        if self.dead_lettered:
            broken.append(f"{self.dead_lettered} dead-lettered")
        if self.sent_twice > self.sent_twice_bound:
            broken.append(f"{self.sent_twice} sent twice > {self.sent_twice_bound} allowed")
        return broken


ROWS: list[Row] = []

COLUMNS = (
    ("scenario", "scenario"),
    ("produced", "produced"),
    ("applied", "applied"),
    ("applied twice", "applied_twice"),
    ("pending", "pending"),
    ("dead-lettered", "dead_lettered"),
    ("lost", "lost"),
    ("sent", "sent"),
    ("sent twice (allowed)", "sent_twice"),
    ("kills", "kills"),
    ("outage s", "outage_s"),
    ("took s", "seconds"),
    ("result", "result"),
)


def _cell(row: Row, attribute: str) -> str:
    if attribute == "result":
        broken = row.check()
        return "ok" if not broken else "FAILED: " + "; ".join(broken)
    if attribute == "sent_twice":
        return f"{row.sent_twice} (≤ {row.sent_twice_bound})"
    if attribute in ("outage_s", "seconds"):
        value = float(getattr(row, attribute))
        return f"{value:.0f}" if value else "–"
    return str(getattr(row, attribute))


def render_table(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(title for title, _ in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(_cell(row, attribute) for _, attribute in COLUMNS) + " |" for row in rows]
    notes = [f"- {row.scenario}: {row.notes}" for row in rows if row.notes]
    return "\n".join(lines + (["", *notes] if notes else []))


# --- a webhook receiver ------------------------------------------------------------------------------


class WebhookReceiver:
    """An HTTP server counting each webhook POST by its `webhook-id` (the delivery's id)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                delivery = self.headers.get("webhook-id") or ""
                with receiver._lock:
                    receiver.counts[delivery] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.counts)

    def distinct(self) -> int:
        with self._lock:
            return len(self.counts)


# --- entries submitted while the faults happen -------------------------------------------------------


class Producer:
    """Submits `total` entries to one contest through the submissions service layer (its own database
    connection, as an API process would), `rate` a second on average, `burst` at once, in a thread
    of its own."""

    def __init__(
        self,
        database_url: str,
        namespace: str,
        total: int,
        rate: float,
        *,
        burst: int = 1,
        through_outages: bool = False,
    ) -> None:
        self.settings = SubmissionsSettings(
            database_url=database_url, bus_namespace=namespace, create_tables=False
        )
        self.total, self.rate, self.burst = total, rate, burst
        self.through_outages = through_outages
        self.submitted = 0
        self.waited_for_database = 0
        self.contest_id: uuid.UUID | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Producer:
        self.thread.start()
        return self

    def join(self, timeout: float = 600) -> None:
        self.thread.join(timeout)
        if self.error is not None:
            raise AssertionError(f"the producer stopped: {self.error!r}") from self.error
        assert self.submitted == self.total, f"only {self.submitted} of {self.total} entries submitted"

    @property
    def done(self) -> bool:
        return not self.thread.is_alive()

    def _run(self) -> None:
        try:
            asyncio.run(self._produce())
        except BaseException as error:  # reported by join()
            self.error = error

    async def _produce(self) -> None:
        submissions = submissions_bootstrap(self.settings)
        try:
            draft = ContestCreate.model_validate(contest_body()).to_contest("Asia/Novokuznetsk")
            contest = await create_contest(submissions.context, draft)
            await publish_contest(submissions.context, contest.id)
            self.contest_id = contest.id
            started = time.monotonic()
            for i in range(self.total):
                content = EntryContent.model_validate(entry_body(f"entry {i}"))
                while True:
                    try:
                        await submit_entry(submissions.context, contest.id, content)
                        break
                    except Exception as error:
                        # an author would try again; a commit that did land is one more entry,
                        # counted from the outbox like every other
                        if not (self.through_outages and is_database_unavailable(error)):
                            raise
                        self.waited_for_database += 1
                        await asyncio.sleep(0.5)
                self.submitted += 1
                ahead = started + (i + 1) / self.rate - time.monotonic()
                if (i + 1) % self.burst == 0 and ahead > 0:
                    await asyncio.sleep(ahead)
        finally:
            await submissions.runtime.close()


# --- the system as processes -------------------------------------------------------------------------


class System:
    """Every service as real processes (judging with `judging_workers` replicas), a webhook receiver
    as the only channel, a bus namespace of its own."""

    def __init__(
        self,
        folder: Path,
        redis_url: str,
        namespace: str,
        database_urls: dict[str, str],
        judging_workers: int = 1,
    ) -> None:
        self.receiver = WebhookReceiver().start()
        self.namespace = namespace
        self.redis_url = redis_url
        self.database_urls = database_urls
        env = FAST_BUS | {
            "NOTIFICATIONS_DEFAULT_CHANNELS": '["webhook"]',
            "NOTIFICATIONS_WEBHOOK_SECRET": generate_secret(),
            "NOTIFICATIONS_WEBHOOK_URL": self.receiver.url,
            "NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
            "NOTIFICATIONS_WEBHOOK_ALLOW_HTTP": "true",
            "NOTIFICATIONS_DISPATCH_BATCH_SIZE": str(DISPATCH_BATCH),
            "NOTIFICATIONS_DISPATCH_LEASE_S": "3",
            "NOTIFICATIONS_RETRY_BASE_DELAY_S": "1",
            "NOTIFICATIONS_RETRY_MAX_DELAY_S": "5",
        }
        self.stack = Stack(
            folder / "data",
            redis_url,
            namespace=namespace,
            log_to_files=True,
            database_urls=database_urls,
            extra_env=env,
            workers={"judging": judging_workers},
        )

    def start(self) -> System:
        try:
            self.stack.start()
        except BaseException:
            self.receiver.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            self.stack.stop()
        finally:
            self.receiver.stop()

    def spec(self, name: str) -> ProcessSpec:
        specs = service_specs(
            redis_url=self.redis_url,
            data_dir=self.stack.data_dir,
            ports=self.stack.ports,
            workers=self.stack.workers,
            namespace=self.namespace,
            database_urls=self.database_urls,
            extra_env=self.stack.extra_env,
            public_url=self.stack.url(WEB),
        )
        return next(spec for spec in specs if spec.name == name)

    def pid(self, name: str) -> int:
        assert self.stack.group is not None
        return self.stack.group.processes[name].pid

    def kill_and_replace(self, name: str) -> None:
        """kill -9 the process, then start a new replica in its place (a new consumer name)."""
        group = self.stack.group
        assert group is not None
        group.kill(name)
        group.start(self.spec(name))

    def url(self, service: str) -> str:
        return self.stack.url(service)

    def producer(self, total: int, rate: float, **options: Any) -> Producer:
        return Producer(self.database_urls["submissions"], self.namespace, total, rate, **options)

    def wait_unconsumed(self, timeout: float) -> bool:
        """Wait until some group has EntrySubmitted events it has not yet applied (unread or pending):
        the moment a lost Redis would take them with it. Whether that moment came."""
        stream = f"{self.namespace}.{ENTRY_SUBMITTED}.v1"
        client = redis_sync.Redis.from_url(self.redis_url, socket_timeout=2)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    groups = client.xinfo_groups(stream)
                except redis_sync.RedisError:
                    groups = []
                if any(int(g.get("lag") or 0) + int(g["pending"]) > 0 for g in groups):
                    return True
                time.sleep(0.005)
        finally:
            client.close()
        return False

    # --- counting ------------------------------------------------------------------------------------

    def bus_state(self) -> tuple[int, int, int]:
        """(pending, unread lag, dead-lettered) over every group of every stream of the namespace."""
        client = redis_sync.Redis.from_url(self.redis_url, socket_timeout=5)
        pending = lag = dead = 0
        try:
            for key in client.scan_iter(match=f"{self.namespace}.*", count=1000):
                name = key.decode()
                if client.type(key) != b"stream":
                    continue
                if ".dead-letters." in name:
                    dead += int(client.xlen(key))
                    continue
                for group in client.xinfo_groups(key):
                    pending += int(group["pending"])
                    lag += int(group.get("lag") or 0)
        finally:
            client.close()
        return pending, lag, dead

    def caught_up(self) -> bool:
        """Every entry applied by both consumers, its message received, nothing pending or unread."""
        try:
            produced, *applied = _run(_counts(self.database_urls))
            if self.receiver.distinct() < produced or min(applied) < produced:
                return False
            pending, lag, _ = self.bus_state()
            return pending == 0 and lag == 0
        except Exception:  # a database or Redis that does not answer yet: not caught up
            return False

    def wait_caught_up(self, timeout: float, stalled_s: float = 60.0) -> bool:
        """Whether the system catches up within `timeout`; gives up sooner when nothing moves (no
        event applied, no message received) for `stalled_s`."""
        deadline = time.monotonic() + timeout
        progress, moved = self.progress(), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - moved < stalled_s:
            if self.caught_up():
                time.sleep(1.5)  # longer than the reclaim idle time: a redelivery would show now
                return self.caught_up()
            time.sleep(0.5)
            now = self.progress()
            if now != progress:
                progress, moved = now, time.monotonic()
        return False

    def progress(self) -> tuple[int, ...]:
        try:
            return (*_run(_counts(self.database_urls)), self.receiver.distinct())
        except Exception:
            return ()

    def measure(self, row: Row) -> Row:
        """Fill `row` with what the databases, Redis and the receiver hold now."""
        facts = _run(_database_facts(self.database_urls))
        received = self.receiver.snapshot()
        produced: set[str] = facts["produced"]
        judged, noticed = facts["judging_inbox"], facts["notifications_inbox"]
        deliveries: dict[str, str] = facts["deliveries"]  # delivery id -> event id
        messaged = {event for delivery, event in deliveries.items() if delivery in received}
        everywhere = judged & noticed & messaged
        pending, lag, dead = self.bus_state()
        row.produced = len(produced)
        row.applied = len(produced & everywhere)
        row.lost = len(produced - everywhere)
        row.applied_twice = (
            facts["judging_copies"]
            - facts["judging_distinct"]
            + facts["judging_revised"]
            + facts["notifications_revised"]
            + len(deliveries)
            - len(set(deliveries.values()))
        )
        row.pending = pending + lag + facts["unsent_outbox"]
        row.dead_lettered = dead
        row.sent = len(received)
        row.sent_twice = sum(count - 1 for count in received.values())
        if lag or facts["unsent_outbox"]:
            row.notes = (row.notes + "; " if row.notes else "") + (
                f"pending counts {lag} unread, {facts['unsent_outbox']} unsent in the outbox"
            )
        return row


@contextmanager
def recorded(row: Row) -> Iterator[Row]:
    """Time the scenario and add its row to the table, even when it fails midway."""
    started = time.monotonic()
    try:
        yield row
    except BaseException as error:
        row.problems.append(f"{type(error).__name__}: {str(error)[:200]}")
        raise
    finally:
        row.seconds = time.monotonic() - started
        ROWS.append(row)


def assert_row(row: Row) -> None:
    broken = row.check()
    assert not broken, f"{row.scenario}: " + "; ".join(broken)


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def _scalar(url: str, statement: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(statement)
    finally:
        await engine.dispose()


async def _counts(urls: dict[str, str]) -> tuple[int, int, int]:
    """EntrySubmitted events produced, applied by judging, applied by notifications."""
    count = select(func.count())
    outbox = SUBMISSIONS_OUTBOX
    produced = await _scalar(
        urls["submissions"], count.select_from(outbox).where(outbox.c.stream.like(f"%.{ENTRY_SUBMITTED}.v%"))
    )
    judged = await _scalar(
        urls["judging"],
        count.select_from(JUDGING_INBOX).where(JUDGING_INBOX.c.event_type == ENTRY_SUBMITTED),
    )
    noticed = await _scalar(
        urls["notifications"],
        count.select_from(NOTIFICATIONS_INBOX).where(NOTIFICATIONS_INBOX.c.event_type == ENTRY_SUBMITTED),
    )
    return int(produced or 0), int(judged or 0), int(noticed or 0)


async def _database_facts(urls: dict[str, str]) -> dict[str, Any]:
    async def rows(url: str, statement: Any) -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return list(await connection.execute(statement))
        finally:
            await engine.dispose()

    outbox = SUBMISSIONS_OUTBOX
    produced = await rows(
        urls["submissions"], select(outbox.c.event_id).where(outbox.c.stream.like(f"%.{ENTRY_SUBMITTED}.v%"))
    )
    unsent = await rows(
        urls["submissions"], select(func.count()).select_from(outbox).where(outbox.c.status != "sent")
    )
    judged = await rows(
        urls["judging"],
        select(JUDGING_INBOX.c.event_id).where(JUDGING_INBOX.c.event_type == ENTRY_SUBMITTED),
    )
    noticed = await rows(
        urls["notifications"],
        select(NOTIFICATIONS_INBOX.c.event_id).where(NOTIFICATIONS_INBOX.c.event_type == ENTRY_SUBMITTED),
    )
    copies = JudgingEntry.__table__
    judging_copies = await rows(
        urls["judging"],
        select(
            func.count(),
            func.count(func.distinct(copies.c.id)),
            func.count().filter(copies.c.revision > 1),
        ).select_from(copies),
    )
    notified_copies = NotificationsEntry.__table__
    revised = await rows(
        urls["notifications"],
        select(func.count()).select_from(notified_copies).where(notified_copies.c.revision > 1),
    )
    deliveries = DeliveryRow.__table__
    delivered = await rows(
        urls["notifications"],
        select(deliveries.c.id, deliveries.c.event_id).where(deliveries.c.event_type == ENTRY_SUBMITTED),
    )
    total, distinct, judging_revised = judging_copies[0]
    return {
        "produced": {str(r[0]) for r in produced},
        "unsent_outbox": int(unsent[0][0]),
        "judging_inbox": {str(r[0]) for r in judged},
        "notifications_inbox": {str(r[0]) for r in noticed},
        "judging_copies": int(total),
        "judging_distinct": int(distinct),
        "judging_revised": int(judging_revised),
        "notifications_revised": int(revised[0][0]),
        "deliveries": {_hex(r[0]): _hex(r[1]) for r in delivered},
    }


def _hex(value: Any) -> str:
    """A UUID column's value as the canonical text the webhook-id header carries."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def every(interval: float, until: Callable[[], bool], timeout: float) -> Iterator[int]:
    """Yield 0, 1, 2, … every `interval` seconds until `until()` or `timeout`."""
    deadline, tick = time.monotonic() + timeout, 0
    while not until() and time.monotonic() < deadline:
        yield tick
        tick += 1
        time.sleep(interval)
