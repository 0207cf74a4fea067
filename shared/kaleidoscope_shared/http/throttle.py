"""Guessing tokens does not pay: failed authentications are counted, and past a limit a client gets 429.

A request is *credentialed* when it carries `Authorization: Bearer …` or a `token` / `grant` query
parameter. When a service refuses such a credential (a wrong organiser token, juror token or sign-in
ticket, entry token or grant) it says so with `auth.auth_failed(request, kind)`; as the answer starts,
this middleware counts the failure in Redis, shared by every replica of every service, under two keys
that expire at the end of a one-minute window:

- `{namespace}.throttle.address.<client address>` (an IPv6 client by its /64, which one host has);
- `{namespace}.throttle.prefix.<hash of the token's first 6 characters>`, the characters after the
  last dot for a grant or ticket, whose scope and subject before it are public.

Once a count reaches its limit (`auth_failures_per_minute` for an address,
`auth_failures_per_prefix_per_minute` for a prefix) the replica that counted it holds the address or
prefix as blocked until the window ends: every further credentialed request from that address or with
that prefix is answered 429 with `Retry-After` before anything reads its token or its body. Another
replica learns of the block from the count its next failure returns (that failure's answer becomes a
429 too), so a client gets at most one checked guess per replica past the limit.

No Redis round trip is made on a request whose credentials are accepted, nor on a blocked one: Redis
is asked only when a credential has been refused. A successful authentication costs a header scan and,
while some block is held, two dictionary lookups. If Redis does not answer within half a second the
failure is still answered as usual (logged, counted in `kaleidoscope_dependency_unavailable_total`):
authentication never depends on Redis.

The client address is the connection's peer, or, when the peer is one of `trusted_proxies` (the
gateway, the web front), the last address in `X-Forwarded-For` that is not a trusted proxy.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import math
import time
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl

from redis.exceptions import RedisError
from starlette.datastructures import URL
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..observability.logging import get_logger
from ..observability.metrics import AUTH_FAILURES, AUTH_THROTTLED, DEPENDENCY_UNAVAILABLE
from ..runtime import ServiceRuntime
from .auth import ATTEMPT_KEY, AuthAttempt, bearer_of
from .problems import problem_response

WINDOW_S = 60
"""The window failures are counted in: the limits are per minute."""
REDIS_TIMEOUT_S = 0.5
"""How long a refused request waits for Redis to count it before it is answered uncounted."""
PREFIX_CHARACTERS = 6
MAX_HELD_BLOCKS = 10_000
"""Blocks one process holds at most; past it the expired ones go, then the oldest."""
QUIET_S = 30.0
"""Redis trouble is logged at most once in this many seconds."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
log = get_logger(__name__)


def trusted_networks(proxies: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]


def client_address(scope: Scope, trusted: Sequence[Network]) -> str:
    """Who is asking: the peer, or the nearest untrusted hop of `X-Forwarded-For` behind trusted peers.
    An IPv6 address is given as its /64."""
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    if not trusted or not _trusted(peer, trusted):
        return _normal(peer)
    hops = [
        hop.strip()
        for name, value in scope.get("headers", ())
        if name.lower() == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return _normal(hop)
    return _normal(hops[0] if hops else peer)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(text: str, trusted: Sequence[Network]) -> bool:
    address = _ip(text)
    return address is not None and any(address in network for network in trusted)


def _normal(text: str) -> str:
    address = _ip(text)
    if address is None:
        return text[:64] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def presented_credentials(scope: Scope) -> list[str]:
    """The bearer token and the `token` and `grant` query parameters the request carries."""
    found = []
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            token = bearer_of(value.decode("latin-1"))
            if token:
                found.append(token)
    query: bytes = scope.get("query_string", b"")
    if query and (b"token=" in query or b"grant=" in query):
        found += [
            value
            for name, value in parse_qsl(query.decode("latin-1"))
            if name in ("token", "grant") and value
        ]
    return found


def token_prefix(token: str) -> str:
    """What a token's prefix is counted by: a hash of its first characters (after the last dot, for a
    grant or ticket); never the token, nor the characters themselves."""
    secret = token.rsplit(".", 1)[-1]
    return hashlib.sha256(secret[:PREFIX_CHARACTERS].encode()).hexdigest()[:16]


class HeldBlocks:
    """The addresses and prefixes this process knows to be blocked, each until a monotonic deadline."""

    def __init__(self, capacity: int = MAX_HELD_BLOCKS) -> None:
        self.capacity = capacity
        self._until: dict[str, float] = {}

    def __bool__(self) -> bool:
        return bool(self._until)

    def remaining(self, key: str, now: float) -> float:
        until = self._until.get(key)
        if until is None:
            return 0.0
        if until <= now:
            del self._until[key]
            return 0.0
        return until - now

    def hold(self, key: str, until: float, now: float) -> bool:
        """Block `key` until `until`; whether it was not blocked already."""
        held = self._until.get(key)
        self._until[key] = max(until, held or 0.0)
        if len(self._until) > self.capacity:
            self._until = {k: v for k, v in self._until.items() if v > now}
            while len(self._until) > self.capacity:
                del self._until[next(iter(self._until))]
        return held is None or held <= now


class AuthThrottle:
    """Counts refused credentials per client address and token prefix; answers 429 past the limits."""

    def __init__(self, app: ASGIApp, *, runtime: ServiceRuntime) -> None:
        self.app = app
        self.runtime = runtime
        settings = runtime.settings
        self.service = settings.service_name
        self.enabled = settings.auth_throttle
        self.trusted = trusted_networks(settings.trusted_proxies)
        self.key_prefix = f"{settings.bus_namespace}.throttle"
        self.address_limit = settings.auth_failures_per_minute
        self.prefix_limit = settings.auth_failures_per_prefix_per_minute
        self.blocks = HeldBlocks()
        self._quiet_until = 0.0

    def address_key(self, address: str) -> str:
        return f"{self.key_prefix}.address.{address}"

    def prefix_key(self, token: str) -> str:
        return f"{self.key_prefix}.prefix.{token_prefix(token)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credentials = presented_credentials(scope)
        if not credentials:
            await self.app(scope, receive, send)
            return
        if self.enabled and self.blocks:
            blocked = self.blocked(scope, credentials)
            if blocked is not None:
                await self.too_many(scope, receive, send, *blocked)
                return
        attempt = scope[ATTEMPT_KEY] = AuthAttempt()
        refused = False

        async def send_counted(message: Message) -> None:
            nonlocal refused
            if refused:
                return  # the 429 has been sent in place of the application's answer
            if message["type"] == "http.response.start" and attempt.failures:
                verdict = await self.failed(scope, credentials, attempt.failures, message["status"])
                if verdict is not None:
                    refused = True
                    await self.too_many(scope, receive, send, *verdict)
                    return
            await send(message)

        await self.app(scope, receive, send_counted)

    def blocked(self, scope: Scope, credentials: Sequence[str]) -> tuple[float, str] | None:
        now = time.monotonic()
        left = self.blocks.remaining(self.address_key(client_address(scope, self.trusted)), now)
        if left:
            return left, "address"
        for token in credentials:
            left = self.blocks.remaining(self.prefix_key(token), now)
            if left:
                return left, "prefix"
        return None

    async def failed(
        self, scope: Scope, credentials: Sequence[str], kinds: Sequence[str], status: int
    ) -> tuple[float, str] | None:
        """Count a refused credential; the wait and the reason if the answer must be a 429 instead."""
        address = client_address(scope, self.trusted)
        for kind in dict.fromkeys(kinds):
            AUTH_FAILURES.labels(self.service, kind).inc()
        log.info(
            "http.auth_failed",
            kind=",".join(dict.fromkeys(kinds)),
            status=status,
            address=address,
            prefixes=[token_prefix(token) for token in credentials],
            method=scope.get("method"),
            path=scope.get("path"),
        )
        if not self.enabled:
            return None
        limits = {self.address_key(address): ("address", address, self.address_limit)}
        limits.update(
            {
                self.prefix_key(token): ("prefix", token_prefix(token), self.prefix_limit)
                for token in credentials
            }
        )
        try:
            counts = await self.count(list(limits))
        except (RedisError, OSError, TimeoutError) as error:
            self.redis_trouble(error)
            return None
        now = time.monotonic()
        verdict: tuple[float, str] | None = None
        for (key, (by, whose, limit)), (count, ttl_s) in zip(limits.items(), counts, strict=True):
            if count < limit:
                continue
            if self.blocks.hold(key, now + ttl_s, now):
                log.warning(
                    "http.auth_throttled",
                    by=by,
                    **{by: whose},
                    failures=count,
                    limit=limit,
                    retry_after_s=math.ceil(ttl_s),
                    started=True,
                )
            if count > limit and (verdict is None or ttl_s > verdict[0]):
                verdict = ttl_s, by
        return verdict

    async def count(self, keys: Sequence[str]) -> list[tuple[int, float]]:
        """Add one failure to each key's count in this window: each new count and the window's rest (s)."""
        async with asyncio.timeout(REDIS_TIMEOUT_S):
            async with self.runtime.redis.pipeline(transaction=True) as pipe:
                for key in keys:
                    pipe.set(key, 0, ex=WINDOW_S, nx=True)
                    pipe.incr(key)
                    pipe.pttl(key)
                results = await pipe.execute()
            counted = [(int(results[i + 1]), int(results[i + 2])) for i in range(0, len(results), 3)]
            for key, (_, ttl_ms) in zip(keys, counted, strict=True):
                if ttl_ms < 0:  # expired between SET NX and INCR: give it a window of its own
                    await self.runtime.redis.expire(key, WINDOW_S)
        return [(count, ttl_ms / 1000 if ttl_ms > 0 else float(WINDOW_S)) for count, ttl_ms in counted]

    def redis_trouble(self, error: BaseException) -> None:
        DEPENDENCY_UNAVAILABLE.labels("redis", "api").inc()
        now = time.monotonic()
        if now >= self._quiet_until:
            self._quiet_until = now + QUIET_S
            log.warning(
                "http.auth_throttle_unavailable",
                error=f"{type(error).__name__}: {error}"[:300],
                note="failed authentications are not counted while Redis does not answer",
            )

    async def too_many(self, scope: Scope, receive: Receive, send: Send, wait_s: float, by: str) -> None:
        retry_after = max(1, math.ceil(wait_s))
        AUTH_THROTTLED.labels(self.service, by).inc()
        log.info(
            "http.auth_throttled",
            by=by,
            address=client_address(scope, self.trusted),
            retry_after_s=retry_after,
            method=scope.get("method"),
            path=scope.get("path"),
        )
        whose = "from your address" if by == "address" else "with a token beginning as this one does"
        response = problem_response(
            429,
            "Too many failed authentications",
            f"Too many requests {whose} carried a wrong token or grant; try again in {retry_after} seconds.",
            instance=URL(scope=scope).path,
            headers={"Retry-After": str(retry_after)},
            retry_after_s=retry_after,
        )
        await response(scope, receive, send)
