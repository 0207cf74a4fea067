"""Headers every answer of the web front carries, whatever produced it (a page, a redirect, a file, an
error page, a 413, /static).

- `Content-Security-Policy: PAGE_CSP`: scripts, styles, frames and connections (the hall screen's
  Server-Sent Events, the upload XHR) from this origin only; no inline script, no inline style, no
  `style=` attribute, no event-handler attribute (every template keeps to that; the browser tests fail
  on any violation Chromium reports); forms post here only; no page of the site may be framed
  (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers). An answer that sets its
  own policy keeps it: a file shown as itself (`FILE_CSP`), a message template's HTML in its frame.
- `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`.
- `Cache-Control: no-store` on every answer that is not one of the public pages (`PUBLIC`): the
  participant's entry pages, the juror's pages, the console, the sign-in pages, the entry form, their
  redirects and error pages, and any path the site does not know. Also on a public page when the
  request carries a secret in its address (`token`, `ticket`, `grant`) or the answer sets a cookie
  (the session, the language): no cache keeps what only that visitor may see.
- `Strict-Transport-Security` when the site is served over https (`WebSettings.served_over_https`,
  which also makes the session cookie Secure): only then, so a development site on http://localhost
  never pins a browser to https.

A plain ASGI middleware, so the hall screen's stream and the file downloads pass through it unbuffered.
The 500 page of Starlette's outermost ServerErrorMiddleware does not pass through it; `errors.py` adds
the same headers to that page with `secure_page`.
"""

from __future__ import annotations

import re
from typing import TypeVar
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# A file (an entry's attachment, a document) is shown as itself, never as a page of this site: no
# script, sandboxed (an opaque origin), only what a browser's own image, PDF or video viewer needs.
FILE_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000"  # a year; no includeSubDomains: the site does not own its parent domain
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# The pages anyone may see and a cache may keep: the home page, a contest, its results, its hall screen
# (and the screen's stream), a document's verification, and the site's own files.
PUBLIC = re.compile(
    r"^/$|^/contests/[^/]+(?:/results|/hall|/hall/events)?$|^/verify(?:/[^/]+)?$|^/static/|^/health$|^/metrics"
)
SECRET_QUERY_PARAMETERS = frozenset({"token", "ticket", "grant"})

_DEFAULTS = [(name.lower().encode(), value.encode()) for name, value in PAGE_HEADERS.items()]
_CACHE_CONTROL = b"cache-control"
_SET_COOKIE = b"set-cookie"
_HSTS = (b"strict-transport-security", HSTS.encode())
AnyResponse = TypeVar("AnyResponse", bound=Response)


def is_private(path: str, query_string: str) -> bool:
    """Whether an answer to this address may show what only a session or a private link may see."""
    if not PUBLIC.match(path):
        return True
    query = parse_qsl(query_string, keep_blank_values=True)
    return any(name in SECRET_QUERY_PARAMETERS for name, _ in query)


def secured(headers: list[tuple[bytes, bytes]], *, private: bool, https: bool) -> list[tuple[bytes, bytes]]:
    """`headers` with the site's: the defaults where the answer set none of its own, `no-store` where
    the answer is private or sets a cookie, HSTS over https."""
    present = {name.lower() for name, _ in headers}
    headers = headers + [(name, value) for name, value in _DEFAULTS if name not in present]
    if private or _SET_COOKIE in present:
        headers = [(name, value) for name, value in headers if name.lower() != _CACHE_CONTROL]
        headers.append((_CACHE_CONTROL, b"no-store"))
    if https and _HSTS[0] not in present:
        headers.append(_HSTS)
    return headers


def secure_page(response: AnyResponse, scope: Scope, *, https: bool) -> AnyResponse:
    """The same headers on an answer made outside the middleware (the 500 page)."""
    private = is_private(scope.get("path", "/"), scope.get("query_string", b"").decode("latin-1"))
    response.raw_headers[:] = secured(list(response.raw_headers), private=private, https=https)
    return response


class PageHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = is_private(scope["path"], scope.get("query_string", b"").decode("latin-1"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = secured(list(message.get("headers", [])), private=private, https=self.https)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
