"""What an operator does with dead letters: list them, and replay them onto their original stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from .consumer import dead_letter_stream


@dataclass(frozen=True)
class DeadLetter:
    id: str
    stream: str
    message_id: str
    group: str
    reason: str
    error: str
    deliveries: int
    dead_at: str
    envelope: str


async def list_dead_letters(redis: Redis, namespace: str, group: str, count: int = 100) -> list[DeadLetter]:
    entries: Any = await redis.xrange(dead_letter_stream(namespace, group), count=count)
    return [_read(entry_id, fields) for entry_id, fields in entries]


async def replay_dead_letters(
    redis: Redis, namespace: str, group: str, ids: list[str] | None = None
) -> list[DeadLetter]:
    """Put dead letters back on their original streams (all, or those with the given ids).

    Every group on that stream sees the event again; groups that already applied it skip it by its
    event_id, so a replay is safe. Replayed entries leave the dead-letter stream.
    """
    letters = await list_dead_letters(redis, namespace, group, count=10_000)
    chosen = [letter for letter in letters if ids is None or letter.id in ids]
    source = dead_letter_stream(namespace, group)
    for letter in chosen:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.xadd(letter.stream, {"envelope": letter.envelope})
            pipe.xdel(source, letter.id)
            await pipe.execute()
    return chosen


def _read(entry_id: bytes, fields: dict[bytes, bytes]) -> DeadLetter:
    def text(key: str) -> str:
        return fields.get(key.encode(), b"").decode(errors="replace")

    return DeadLetter(
        id=entry_id.decode(),
        stream=text("stream"),
        message_id=text("message_id"),
        group=text("group"),
        reason=text("reason"),
        error=text("error"),
        deliveries=int(text("deliveries") or 0),
        dead_at=text("dead_at"),
        envelope=text("envelope"),
    )
