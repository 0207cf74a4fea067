"""Serving under the gateway's path prefix: `/judging/docs` must load `/judging/openapi.json`.

The gateway strips `/judging` and sends it as `X-Forwarded-Prefix`; this middleware makes it the ASGI
`root_path` (with the path prefixed, as the ASGI spec has it), so routes stay unprefixed while the
OpenAPI document and the docs pages name the URLs a client behind the gateway must use.
"""

from __future__ import annotations

import re
from typing import Any

PREFIX_HEADER = b"x-forwarded-prefix"
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")


class ForwardedPrefix:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            prefix = dict(scope["headers"]).get(PREFIX_HEADER, b"").decode("latin-1").rstrip("/")
            if _PREFIX.fullmatch(prefix):
                scope = {**scope, "root_path": prefix, "path": prefix + scope["path"]}
        await self.app(scope, receive, send)
