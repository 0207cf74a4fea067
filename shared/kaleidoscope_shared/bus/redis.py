"""Redis connections for the bus: reconnecting, with timeouts longer than a blocking read."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry


def connect(url: str, *, block_ms: int = 1000) -> Redis:
    """A client that reconnects by itself: every call after an outage opens a fresh connection."""
    return Redis.from_url(
        url,
        decode_responses=False,
        socket_connect_timeout=2,
        socket_timeout=block_ms / 1000 + 10,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
        health_check_interval=30,
    )
