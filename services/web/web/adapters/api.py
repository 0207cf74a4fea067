"""The three services' HTTP APIs, called with the visitor's own credentials.

The web front holds no credential of its own: a participant's private token, a juror's sign-in ticket
or nothing at all travels with each call, so every service decides what the visitor may see exactly as
it would for a direct API call. A refusal comes back as `ApiProblem` (the service's RFC 9457 problem
details); a service that does not answer is `ServiceUnavailable`.

Each call also names the visitor: `X-Forwarded-For: <visitor address>` (`visitor_address`, set for the
request being served). The APIs count failed authentications and pending uploads per client address,
and take this header from the web front, one of their `trusted_proxies`: without it every visitor
would be the web front's one address, and one visitor guessing tokens would lock out all the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx

from kaleidoscope_shared.observability import tracing


@dataclass
class ApiProblem(Exception):
    """A service's refusal: its status, title, detail and extension members (e.g. `errors`)."""

    status: int
    title: str = ""
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None
    """Seconds the service asked to wait (its `Retry-After`), for a 429 or a 503."""

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Field errors of a 422: each with `location` (e.g. ["body", "authors", 0, "email"])."""
        found = self.extra.get("errors")
        return found if isinstance(found, list) else []


class ServiceUnavailable(Exception):
    """A service did not answer (down, restarting, or too slow)."""


visitor_address: ContextVar[str | None] = ContextVar("visitor_address", default=None)
"""The address of the visitor whose page is being served (set by `get_services`)."""


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def forwarded_for() -> dict[str, str]:
    """`X-Forwarded-For` naming the visitor, when there is one."""
    address = visitor_address.get()
    return {"X-Forwarded-For": address} if address else {}


class ServiceApi:
    """One service's API over a pooled HTTP client."""

    def __init__(self, name: str, base_url: str, timeout_s: float, transport: Any = None) -> None:
        self.name = name
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            transport=transport,
            follow_redirects=False,
            # many visitors at once (a hall filling up) must not queue behind httpx's default of 100
            limits=httpx.Limits(max_connections=400, max_keepalive_connections=100),
        )
        tracing.instrument_httpx(self.client)  # with tracing on, requests carry `traceparent`

    async def close(self) -> None:
        await self.client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content: Any = None,
    ) -> Any:
        """The decoded JSON answer, or `ApiProblem` for any 4xx/5xx."""
        try:
            response = await self.client.request(
                method,
                path,
                json=json,
                params=params,
                content=content,
                headers={**forwarded_for(), **bearer(token), **(headers or {})},
            )
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"{self.name}: {error!r}") from error
        if response.status_code >= 400:
            raise problem_of(response)
        return response.json() if response.content else None

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    @asynccontextmanager
    async def stream(
        self, path: str, *, token: str | None = None, params: dict[str, Any] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """A streamed GET (files, event streams); `ApiProblem` before the first byte if refused."""
        try:
            headers = {**forwarded_for(), **bearer(token)}
            async with self.client.stream("GET", path, params=params, headers=headers) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise problem_of(response)
                yield response
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"{self.name}: {error!r}") from error


def problem_of(response: httpx.Response) -> ApiProblem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    known = {"status", "title", "detail", "type", "instance"}
    detail = body.get("detail", "")
    retry_after = response.headers.get("retry-after", "")
    return ApiProblem(
        status=response.status_code,
        title=str(body.get("title", "")),
        detail=detail if isinstance(detail, str) else "",
        extra={k: v for k, v in body.items() if k not in known},
        retry_after=int(retry_after) if retry_after.isdigit() else None,
    )


@dataclass
class Services:
    """The three APIs the pages call."""

    submissions: ServiceApi
    judging: ServiceApi
    notifications: ServiceApi

    async def close(self) -> None:
        for api in (self.submissions, self.judging, self.notifications):
            await api.close()
