"""`kaleidoscope status`: how the stack `kaleidoscope up` runs is doing.

`up` writes what it started to `<data dir>/kaleidoscope-up.json` (ports, process ids, the Redis URL,
the bus namespace, each service's database) and removes it when it stops; `status` reads it and asks
each part in turn:

- each process: an API answers 200 on /ready, the web front on /health, a worker on its /metrics port,
  Redis to PING;
- each consumer group on the bus: its lag (entries not yet read, summed over its streams), its
  pending entries (read, not yet acknowledged) and its dead letters (`{namespace}.dead-letters.{group}`);
- each service's outbox: the events written and not yet relayed to Redis, and how old the oldest is.

It says so in Russian or English (words.py): column heads, states and ages; the names of processes,
groups and services, addresses and errors' own names are the same in both.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import MetaData, func, select

from kaleidoscope_shared.bus.redis import connect
from kaleidoscope_shared.bus.tables import OUTBOX_SENT, bus_tables
from kaleidoscope_shared.db import create_engine

from .processes import SERVICES
from .stack import REDIS, WEB, Stack
from .words import Language, Phrase, clip, phrase, say

STATE_FILE = "kaleidoscope-up.json"
# Beyond this many unread entries in one stream the lag is shown as "N+" (Redis before 7 does not
# keep a group's lag; it is counted entry by entry).
LAG_COUNTED_UP_TO = 10_000


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def write_state(stack: Stack, launcher_pid: int | None = None) -> Path:
    """What `status` needs to find every part of a started stack, beside its data."""
    assert stack.group is not None and stack.redis_url
    data_dir = stack.data_dir.resolve()
    processes: dict[str, dict[str, Any]] = {}
    for name, process in stack.group.processes.items():
        processes[name] = {"pid": process.pid, "check": _check_url(stack, name)}
    if stack.redis and stack.redis.process:
        processes[REDIS] = {"pid": stack.redis.process.pid, "check": stack.redis_url}
    state = {
        "launcher_pid": launcher_pid or os.getpid(),
        "started_at": datetime.now(UTC).isoformat(),
        "web_url": stack.web_url,
        "redis_url": stack.redis_url,
        "namespace": stack.namespace,
        "processes": processes,
        "database_urls": stack.database_urls
        or {service: f"sqlite+aiosqlite:///{data_dir}/{service}.db" for service in SERVICES},
        "logs": str(data_dir / "logs"),
    }
    path = state_path(stack.data_dir)
    path.write_text(json.dumps(state, indent=2) + "\n")
    return path


def _check_url(stack: Stack, name: str) -> str:
    if name == WEB:
        return f"{stack.url(WEB)}/health"
    if name.endswith("-api"):
        return f"{stack.url(name.removesuffix('-api'))}/ready"
    return f"http://127.0.0.1:{stack.metrics_ports[name]}/metrics"


def record_stop(data_dir: Path, exited: dict[str, int]) -> None:
    """Note in the state file that the launcher stopped everything because these processes exited."""
    state = read_state(data_dir)
    if state is not None:
        state["stopped"] = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "exited": exited}
        state_path(data_dir).write_text(json.dumps(state, indent=2) + "\n")


def remove_state(data_dir: Path) -> None:
    state_path(data_dir).unlink(missing_ok=True)


def read_state(data_dir: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads(state_path(data_dir).read_text()))
    except FileNotFoundError:
        return None


@dataclass
class ProcessHealth:
    name: str
    pid: int | None
    check: str
    problem: Phrase | None = None  # None when healthy

    @property
    def healthy(self) -> bool:
        return self.problem is None


@dataclass
class GroupBacklog:
    group: str
    streams: int = 0
    lag: int = 0
    lag_at_least: bool = False  # the count stopped at LAG_COUNTED_UP_TO in some stream
    pending: int = 0
    dead_letters: int = 0


@dataclass
class OutboxBacklog:
    service: str
    unsent: int | None = None
    oldest: datetime | None = None
    problem: str = ""  # the database's error, as it names it


@dataclass
class StatusReport:
    state: dict[str, Any]
    processes: list[ProcessHealth] = field(default_factory=list)
    groups: list[GroupBacklog] = field(default_factory=list)
    bus_problem: Phrase | None = None
    outboxes: list[OutboxBacklog] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return (
            all(p.healthy for p in self.processes)
            and self.bus_problem is None
            and not any(o.problem for o in self.outboxes)
        )

    def lines(self, now: datetime | None = None, language: Language = "ru") -> list[str]:
        return render(self, now or datetime.now(UTC), language)


def collect(state: dict[str, Any], timeout: float = 2.0) -> StatusReport:
    report = StatusReport(state)
    report.processes = [_launcher_health(state)] + [
        _process_health(name, process, timeout) for name, process in state["processes"].items()
    ]
    report.groups, report.bus_problem, report.outboxes = asyncio.run(_backlogs(state, timeout))
    return report


def _launcher_health(state: dict[str, Any]) -> ProcessHealth:
    pid = int(state["launcher_pid"])
    alive = process_alive(pid)
    return ProcessHealth("launcher", pid, "kaleidoscope up", None if alive else phrase("not_running"))


def _process_health(name: str, process: dict[str, Any], timeout: float) -> ProcessHealth:
    pid, check = process.get("pid"), str(process["check"])
    health = ProcessHealth(name, pid, check)
    if pid is not None and not process_alive(int(pid)):
        health.problem = phrase("not_running")
    elif not check.startswith("http"):
        return health  # Redis: asked below, with the bus
    else:
        try:
            answer = httpx.get(check, timeout=timeout)
            if answer.status_code != 200:
                health.problem = phrase("answers_status", status=answer.status_code)
        except httpx.HTTPError as error:
            health.problem = phrase("does_not_answer", error=type(error).__name__)
    return health


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) still has a pid but does nothing.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


async def _backlogs(
    state: dict[str, Any], wait_s: float
) -> tuple[list[GroupBacklog], Phrase | None, list[OutboxBacklog]]:
    redis = connect(state["redis_url"])
    url = state["redis_url"]
    bus_problem: Phrase | None = None
    try:
        groups = await asyncio.wait_for(bus_backlog(redis, state["namespace"]), wait_s * 5)
    except (OSError, TimeoutError, ConnectionError) as error:
        groups, bus_problem = [], phrase("redis_silent", url=url, error=type(error).__name__)
    except Exception as error:  # a RedisError: the server answered, but not as expected
        groups, bus_problem = [], phrase("redis_error", url=url, error=error)
    finally:
        await redis.aclose()
    outboxes = [await outbox_backlog(service, url, wait_s) for service, url in state["database_urls"].items()]
    return groups, bus_problem, outboxes


async def bus_backlog(redis: Redis, namespace: str) -> list[GroupBacklog]:
    """Each consumer group's lag, pending entries and dead letters, over every stream of `namespace`."""
    await redis.ping()
    dead_prefix = f"{namespace}.dead-letters."
    groups: dict[str, GroupBacklog] = {}
    dead: dict[str, int] = {}
    async for raw in redis.scan_iter(match=f"{namespace}.*", count=500, _type="stream"):
        stream = raw.decode() if isinstance(raw, bytes) else str(raw)
        if stream.startswith(dead_prefix):
            dead[stream.removeprefix(dead_prefix)] = int(await redis.xlen(stream))
            continue
        for info in await redis.xinfo_groups(stream):
            name = _text(info["name"])
            backlog = groups.setdefault(name, GroupBacklog(name))
            backlog.streams += 1
            backlog.pending += int(info["pending"])
            lag, at_least = await _lag(redis, stream, info)
            backlog.lag += lag
            backlog.lag_at_least |= at_least
    for name, count in dead.items():
        groups.setdefault(name, GroupBacklog(name)).dead_letters = count
    return sorted(groups.values(), key=lambda g: g.group)


async def _lag(redis: Redis, stream: str, info: dict[Any, Any]) -> tuple[int, bool]:
    """Entries of `stream` the group has not read yet: Redis 7 says so itself (`lag`); before that, or
    when Redis cannot tell, they are counted after the group's last delivered id."""
    if info.get("lag") is not None:
        return int(info["lag"]), False
    last = _text(info["last-delivered-id"])
    unread = await redis.xrange(stream, min=f"({last}", max="+", count=LAG_COUNTED_UP_TO) or []
    return len(unread), len(unread) >= LAG_COUNTED_UP_TO


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def outbox_backlog(service: str, database_url: str, wait_s: float) -> OutboxBacklog:
    """The events a service wrote to its outbox and has not yet relayed to Redis."""
    outbox = bus_tables(MetaData()).outbox
    engine = create_engine(database_url)
    query = select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.status != OUTBOX_SENT)
    try:
        async with engine.connect() as connection:
            row = (await asyncio.wait_for(connection.execute(query), wait_s * 5)).one()
        return OutboxBacklog(service, int(row[0]), row[1])
    except Exception as error:  # any database error: shown, and the status is unhealthy
        return OutboxBacklog(service, problem=f"{type(error).__name__}: {str(error).splitlines()[0][:60]}")
    finally:
        await engine.dispose()


def render(report: StatusReport, now: datetime, language: Language = "ru") -> list[str]:
    """The report as lines of at most WIDTH characters, in `language`."""
    state = report.state

    def word(key: str, **values: object) -> str:
        return say(language, key, **values)

    health_width = 2 + max(len(word("healthy_process")), len(word("down_process")), len(word("col_health")))
    lines = [
        word("status_head", url=state["web_url"], age=_age(_parse(state["started_at"]), now, language)),
        word("status_bus", url=state["redis_url"], namespace=state["namespace"], logs=state["logs"]),
        "",
        f"{word('col_process'):<24}{word('col_pid'):>8}  {word('col_health'):<{health_width}}"
        f"{word('col_checked_at')}",
    ]
    for process in report.processes:
        health = word("healthy_process") if process.problem is None else word("down_process")
        detail = process.check if process.problem is None else f"{process.problem(language)}: {process.check}"
        lines.append(f"{process.name:<24}{process.pid or '-':>8}  {health:<{health_width}}{detail}")
    columns = [(word(key), 2 + max(width, len(word(key)))) for key, width in GROUP_COLUMNS]
    lines += ["", f"{word('col_group'):<24}" + "".join(f"{head:>{width}}" for head, width in columns)]
    if report.bus_problem is not None:
        lines.append(f"{'-':<24}  {report.bus_problem(language)}")
    elif not report.groups:
        lines.append(f"{'-':<24}  {word('no_groups')}")
    for group in report.groups:
        lag = f"{group.lag}+" if group.lag_at_least else str(group.lag)
        values = (group.streams, lag, group.pending, group.dead_letters)
        lines.append(
            f"{group.group:<24}" + "".join(f"{v:>{w}}" for v, (_, w) in zip(values, columns, strict=True))
        )
    unsent_width = 2 + len(word("col_unsent"))
    lines += ["", f"{word('col_outbox'):<24}{word('col_unsent'):>{unsent_width}}  {word('col_oldest')}"]
    for outbox in report.outboxes:
        if outbox.problem:
            lines.append(f"{outbox.service:<24}{'?':>{unsent_width}}  {outbox.problem}")
        else:
            oldest = word("ago", age=_age(outbox.oldest, now, language)) if outbox.oldest else "-"
            lines.append(f"{outbox.service:<24}{outbox.unsent:>{unsent_width}}  {oldest}")
    ending = word("all_healthy") if report.healthy else word("unhealthy", names=_problems(report, language))
    lines += ["", ending]
    return [clip(line) for line in lines]


# The consumer groups' columns after the group's name: their heads, and the width of their figures.
GROUP_COLUMNS = (("col_streams", 6), ("col_lag", 8), ("col_pending", 8), ("col_dead", 8))


def _problems(report: StatusReport, language: Language) -> str:
    names = [p.name for p in report.processes if not p.healthy]
    names += ["redis"] if report.bus_problem is not None else []
    names += [say(language, "its_database", service=o.service) for o in report.outboxes if o.problem]
    return ", ".join(names)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _age(since: datetime, now: datetime, language: Language = "ru") -> str:
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return say(language, "seconds", s=seconds)
    if seconds < 3600:
        return say(language, "minutes", m=seconds // 60, s=seconds % 60)
    return say(language, "hours", h=seconds // 3600, m=seconds // 60 % 60)
