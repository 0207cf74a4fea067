"""`kaleidoscope bus scrub-private-links`: the events still holding a link in clear are deleted from
the streams once every consumer group is done with them, and only those."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from typer.testing import CliRunner

from kaleidoscope_cli.main import app
from kaleidoscope_cli.scrub import scrub_private_links
from kaleidoscope_shared.contracts import EntrySubmitted, JurorAssigned


def envelope(payload: Mapping[str, object]) -> dict[Any, Any]:
    return {"envelope": json.dumps({"event_id": str(uuid.uuid4()), "type": "x", "payload": payload})}


async def test_only_clear_links_every_group_is_done_with_are_deleted(redis: Redis, namespace: str) -> None:
    stream = EntrySubmitted.stream(namespace)
    clear = {"private_link": "https://x/entries/1?token=secret", "sealed_private_link": None}
    sealed = {"private_link": None, "sealed_private_link": "sealed:v1:AAAA"}
    done = await redis.xadd(stream, envelope(clear))
    pending = await redis.xadd(stream, envelope(clear))
    kept_sealed = await redis.xadd(stream, envelope(sealed))
    for group in ("judging", "notifications"):
        await redis.xgroup_create(stream, group, id="0")
        await redis.xreadgroup(group, "c1", {stream: ">"}, count=3)
    await redis.xack(stream, "judging", done, pending, kept_sealed)
    await redis.xack(stream, "notifications", done, kept_sealed)  # `pending` still being handled
    unread = await redis.xadd(stream, envelope(clear))  # no group has read it yet
    juror_stream = JurorAssigned.stream(namespace)
    juror_done = await redis.xadd(
        juror_stream, envelope({"personal_link": "https://x/jury/sign-in?ticket=t"})
    )

    report = {r.stream: (r.deleted, r.kept) for r in await scrub_private_links(redis, namespace)}

    assert report[stream] == (1, 2) and report[juror_stream] == (1, 0)
    remaining: Any = await redis.xrange(stream)
    left = [message_id for message_id, _ in remaining]
    assert left == [pending, kept_sealed, unread] and done not in left
    assert await redis.xrange(juror_stream) == [] and juror_done


def test_the_command_reports_each_stream(redis_url: str, namespace: str) -> None:
    result = CliRunner().invoke(
        app, ["bus", "scrub-private-links", "--redis-url", redis_url, "--namespace", namespace]
    )
    assert result.exit_code == 0, result.output
    assert f"{EntrySubmitted.stream(namespace)}: 0 deleted, 0 kept" in result.output
