"""How many uploads a client may start per window, counted in Redis so that every replica of the API
shares the count.

A fixed window per client: the first upload creates `<namespace>.submissions.upload-rate.<client>`
with the window as its expiry, each upload increments it, and past the limit the answer is the key's
remaining time to live (the Retry-After). One MULTI/EXEC per upload; nothing is left behind, since
every key expires.

Redis not answering lets uploads through (logged and counted in
`kaleidoscope_dependency_unavailable_total`): the quotas on pending files, kept in the database, still
bound what anyone can store meanwhile.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from kaleidoscope_shared.observability.logging import get_logger
from kaleidoscope_shared.observability.metrics import DEPENDENCY_UNAVAILABLE

log = get_logger(__name__)
COMPONENT = "submissions.upload_rate"


class RedisUploadRate:
    def __init__(self, redis: Redis, *, namespace: str, limit: int, window_s: int) -> None:
        self._redis = redis
        self._prefix = f"{namespace}.submissions.upload-rate."
        self.limit = limit
        self.window_s = window_s

    def key(self, client: str) -> str:
        return self._prefix + client

    async def take(self, client: str) -> int | None:
        """Count one upload of `client`: None while within the limit, else the seconds until the
        window ends (at least 1)."""
        key = self.key(client)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self.window_s, nx=True)
                pipe.ttl(key)
                count, _, ttl = await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("submissions.upload_rate.redis_unavailable", error=str(error)[:500])
            DEPENDENCY_UNAVAILABLE.labels("redis", COMPONENT).inc()
            return None
        if int(count) <= self.limit:
            return None
        return max(1, int(ttl)) if int(ttl) > 0 else self.window_s
