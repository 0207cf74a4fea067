"""An ASGI middleware that refuses request bodies over a size limit with 413, before reading them whole.

A declared `Content-Length` over the limit is refused before the application runs. Without one
(chunked uploads) the body is counted as the application reads it; the moment the count passes the
limit the middleware answers 413 itself and the application's further reads fail, so at most
`max_bytes` plus one chunk is ever read. It answers even if the application swallows the error (a
framework that turns body errors into 400): whatever the application sends afterwards is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestBodyTooLarge(Exception):
    """Raised into the application when it reads past the limit; the middleware has answered 413."""


def path_prefixes(*prefixes: str) -> Callable[[Scope], bool]:
    """A predicate selecting the requests whose path starts with one of `prefixes` (the upload routes)."""
    return lambda scope: any(scope.get("path", "").startswith(p) for p in prefixes)


class MaxBodySizeMiddleware:
    """Limits the body of the HTTP requests `applies_to` selects (all by default) to `max_bytes`."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, applies_to: Callable[[Scope], bool] = lambda scope: True
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.applies_to = applies_to

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies_to(scope):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope["headers"])
        if declared is not None and declared > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        await _LimitedRequest(self.app, self.max_bytes, receive, send).run(scope)


class _LimitedRequest:
    """One request's byte count and whether the middleware has already answered it."""

    def __init__(self, app: ASGIApp, max_bytes: int, receive: Receive, send: Send) -> None:
        self.app, self.max_bytes = app, max_bytes
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
            if self.received > self.max_bytes:
                if not self.response_started:
                    self.answered_413 = True
                    await _send_413(self._send, self.max_bytes)
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


async def _send_413(send: Send, max_bytes: int) -> None:
    problem = {
        "type": "about:blank",
        "title": "Request body too large",
        "status": 413,
        "detail": f"the upload is larger than {max_bytes} bytes, the most accepted here; "
        "send a smaller file or a link to it",
        "max_bytes": max_bytes,
    }
    body = json.dumps(problem).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
