"""`kaleidoscope bus scrub-private-links`: deleting from the streams the events that still carry a
participant's private link or a juror's sign-in link in clear (written before links were sealed).

Streams are never trimmed, so such an event would stay in Redis for good. A message is deleted (XDEL)
only when its envelope's payload has a non-null `private_link` / `personal_link` and every consumer
group of its stream is done with it: the group has read past it and does not hold it pending. A
message some group has not read yet, or holds pending, is left for a later run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from kaleidoscope_shared.contracts import EntrySubmitted, Event, JurorAssigned, JurorReminderDue

CLEAR_LINK_FIELDS: dict[type[Event], str] = {
    EntrySubmitted: "private_link",
    JurorAssigned: "personal_link",
    JurorReminderDue: "personal_link",
}
BATCH = 500


@dataclass(frozen=True)
class Scrubbed:
    stream: str
    deleted: int
    """Messages deleted: they held a link in clear and every group was done with them."""
    kept: int
    """Messages that hold a link in clear but some group has not read or still holds pending."""


async def scrub_private_links(redis: Redis, namespace: str) -> list[Scrubbed]:
    """Delete the messages of the three streams that carry a link in clear and no group still needs."""
    report = []
    for event, field in CLEAR_LINK_FIELDS.items():
        stream = event.stream(namespace)
        deleted, kept = await _scrub(redis, stream, field)
        report.append(Scrubbed(stream, deleted, kept))
    return report


async def _scrub(redis: Redis, stream: str, field: str) -> tuple[int, int]:
    if not await redis.exists(stream):
        return 0, 0
    groups: Any = await redis.xinfo_groups(stream)
    read_up_to = [_id(group["last-delivered-id"]) for group in groups]
    pending: set[bytes] = set()
    for group in groups:
        pending |= await _pending(redis, stream, group["name"])
    deleted = kept = 0
    start: str = "-"
    while True:
        messages: Any = await redis.xrange(stream, min=start, max="+", count=BATCH)
        if not messages:
            break
        done_with = []
        for message_id, fields in messages:
            if not _carries_clear_link(fields, field):
                continue
            if message_id not in pending and all(_id(message_id) <= last for last in read_up_to):
                done_with.append(message_id)
            else:
                kept += 1
        if done_with:
            deleted += int(await redis.xdel(stream, *done_with))
        if len(messages) < BATCH:
            break
        start = "(" + messages[-1][0].decode()
    return deleted, kept


async def _pending(redis: Redis, stream: str, group: Any) -> set[bytes]:
    ids: set[bytes] = set()
    start: str = "-"
    while True:
        page: Any = await redis.xpending_range(stream, group, min=start, max="+", count=BATCH)
        ids |= {entry["message_id"] for entry in page}
        if len(page) < BATCH:
            return ids
        start = "(" + page[-1]["message_id"].decode()


def _carries_clear_link(fields: dict[bytes, bytes], field: str) -> bool:
    try:
        envelope = json.loads(fields.get(b"envelope", b"{}"))
    except ValueError:
        return False
    payload = envelope.get("payload") if isinstance(envelope, dict) else None
    return isinstance(payload, dict) and bool(payload.get(field))


def _id(message_id: bytes | str) -> tuple[int, int]:
    text = message_id.decode() if isinstance(message_id, bytes) else message_id
    milliseconds, _, sequence = text.partition("-")
    return int(milliseconds), int(sequence or 0)
