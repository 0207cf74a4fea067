"""Request bodies have a size limit, enforced before they are read: every route of every service.

FastAPI reads a JSON (or form) body whole into memory before the endpoint, and before the endpoint's
dependencies check any token, so without a limit any anonymous client could make a process hold
gigabytes. This plain ASGI middleware refuses a declared `Content-Length` over the limit with 413
before the application runs. Without one (chunked requests) it counts the bytes as the application
reads them; the moment the count passes the limit it answers 413 itself and the application's further
reads fail, so at most the limit plus one chunk is ever read. It answers even if the application
swallows the error (FastAPI turns a failed body read into a 400): what the application sends after
that is dropped. The 413 closes the connection, so the server does not read the rest of the body.

The limit is `default` (the `max_body_bytes` setting, 1 MiB) unless a route template such as
`/contests/{contest_id}/attachments` is given a larger one (uploads stream their body themselves).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import PROBLEM_JSON


class RequestBodyTooLarge(Exception):
    """Raised into the application when it reads past the limit; the middleware has answered 413."""


class BodyLimit:
    """Limits every HTTP request body to `default` bytes, or to the limit of the first route template in
    `limits` that the request's path matches (templates as in routes: `/things/{id}/file`)."""

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.limits: list[tuple[re.Pattern[str], int]] = [
            (compile_path(template)[0], limit) for template, limit in (limits or {}).items()
        ]

    def limit_for(self, scope: Scope) -> int:
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        for pattern, limit in self.limits:
            if pattern.match(path):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope["headers"])
        if declared is not None and declared > limit:
            await send_413(send, limit)
            return
        await _LimitedRequest(self.app, limit, receive, send).run(scope)


class _LimitedRequest:
    """One request's byte count and whether the middleware has already answered it."""

    def __init__(self, app: ASGIApp, limit: int, receive: Receive, send: Send) -> None:
        self.app, self.limit = app, limit
        self._receive, self._send = receive, send
        self.received = 0
        self.answered_413 = False
        self.response_started = False

    async def run(self, scope: Scope) -> None:
        try:
            await self.app(scope, self.receive, self.send)
        except RequestBodyTooLarge:
            if not self.answered_413:
                raise

    async def receive(self) -> Message:
        if self.answered_413:
            raise RequestBodyTooLarge()
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                if not self.response_started:
                    self.answered_413 = True
                    await send_413(self._send, self.limit)
                raise RequestBodyTooLarge()
        return message

    async def send(self, message: Message) -> None:
        if self.answered_413:
            return
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def send_413(send: Send, limit: int) -> None:
    problem = {
        "type": "about:blank",
        "title": "Request body too large",
        "status": 413,
        "detail": f"The request body is larger than {limit} bytes, the most accepted here.",
        "max_bytes": limit,
    }
    body = json.dumps(problem).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
