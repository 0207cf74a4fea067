"""Headers every answer of a service carries, whatever produced it (a route, a problem handler, a 413).

- `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`;
- a `Content-Security-Policy` that allows nothing (`API_CSP`): an API answer is data, never a page,
  so a browser that opens one runs no script from it and frames it nowhere. The docs pages set their
  own, looser policy (`docs.py`), which is kept;
- `Cache-Control: no-store` on the answer to a request that carries a secret (an `Authorization`
  header, or a `token` or `grant` query parameter): no cache keeps what only that secret may see;
- `WWW-Authenticate: Bearer` on a 401 that names no scheme (RFC 9110 requires one on every 401).

A plain ASGI middleware (see `correlation.py` for why). The 500 answers of Starlette's outermost
ServerErrorMiddleware do not pass through it; the problem handler adds `SECURITY_HEADERS` to those.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": API_CSP,
}
SECRET_QUERY_PARAMETERS = frozenset({"token", "grant"})

_DEFAULTS = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
_CACHE_CONTROL = b"cache-control"
_WWW_AUTHENTICATE = b"www-authenticate"


def carries_secret(scope: Scope) -> bool:
    """Whether the request sends a token: an `Authorization` header or a `token`/`grant` parameter."""
    if any(name.lower() == b"authorization" for name, _ in scope.get("headers", [])):
        return True
    query = scope.get("query_string", b"").decode("latin-1")
    return any(name in SECRET_QUERY_PARAMETERS for name, _ in parse_qsl(query, keep_blank_values=True))


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = carries_secret(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _DEFAULTS if name not in present]
                if no_store:
                    headers = [(k, v) for k, v in headers if k.lower() != _CACHE_CONTROL]
                    headers.append((_CACHE_CONTROL, b"no-store"))
                if message["status"] == 401 and _WWW_AUTHENTICATE not in present:
                    headers.append((_WWW_AUTHENTICATE, b"Bearer"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
