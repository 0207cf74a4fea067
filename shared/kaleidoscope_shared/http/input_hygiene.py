"""Input that no stored object may hold, refused (422) at the edge for every route of every service.

- Control characters (U+0000–U+001F but tab, line feed and carriage return; U+007F) and lone UTF-16
  surrogates in any string of a JSON body, in the query string or in the path. PostgreSQL cannot store
  NUL or a lone surrogate at all, and neither belongs in a name, a title or a comment; refusing them
  here makes both databases behave the same.
- Numbers that are not finite (`1e999`, `NaN`, `Infinity`, which Python's JSON parser accepts, and a long
  plain decimal such as `1` and 400 zeros `.0`, which it parses as infinity): a weight or a score stored
  as infinity or null would make the object it belongs to unusable.

The check is a pure ASGI middleware. A JSON body is scanned as bytes first; only when an escape or
literal that could be one of the above appears is it parsed and walked, so that the error names the
field (`location`, as in FastAPI's own validation errors). The body is then handed on unchanged.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import PROBLEM_JSON

# What may hide a forbidden character or number in JSON text. Python's parser makes a number infinite
# from about 1.8e308: one with an exponent of three digits or more, or else (an exponent of 99 at most)
# with over 200 digits before its point, `1` and 400 zeros `.0` as much as `1e999`.
_SUSPECT_JSON = re.compile(
    rb"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u[dD][89a-fA-F][0-9a-fA-F]{2}|NaN|Infinity"
    rb"|[0-9][eE][+]?[0-9]{3,}|[0-9]{200,}"
)
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_FORBIDDEN_IN_URL = re.compile(rb"[\x00-\x1f\x7f]")

Location = list[str | int]


def may_hide_forbidden(body: bytes) -> bool:
    """Whether JSON text `body` may hold a forbidden character or number, so that it must be parsed
    and walked; False means it holds none."""
    return _SUSPECT_JSON.search(body) is not None


def forbidden_character(text: str) -> str | None:
    """The first forbidden character of `text`, as U+XXXX, or None."""
    found = _FORBIDDEN.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def problems_in(value: Any, location: Location) -> list[dict[str, Any]]:
    """Every forbidden string or number in a parsed JSON value, with its location."""
    found: list[dict[str, Any]] = []
    if isinstance(value, str):
        character = forbidden_character(value)
        if character:
            found.append(
                _error(location, f"the control character {character} is not allowed", "control_character")
            )
    elif isinstance(value, float) and not math.isfinite(value):
        found.append(_error(location, "the number must be finite", "finite_number"))
    elif isinstance(value, dict):
        for key, item in value.items():
            if forbidden_character(key):
                found.append(
                    _error([*location, key], "the key holds a control character", "control_character")
                )
            found += problems_in(item, [*location, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += problems_in(item, [*location, index])
    return found


def _error(location: Location, message: str, kind: str) -> dict[str, Any]:
    return {"location": location, "message": message, "type": kind}


class InputHygiene:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = self._url_problems(scope)
        if errors:
            await _refuse(scope, send, errors)
            return
        if not _is_json(scope) or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:  # the body limit in front of this middleware bounds what is read here
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if may_hide_forbidden(body):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None  # FastAPI answers malformed JSON itself
            errors = problems_in(parsed, ["body"]) if parsed is not None else []
            if errors:
                await _refuse(scope, send, errors)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _url_problems(scope: Scope) -> list[dict[str, Any]]:
        errors = []
        raw_path = scope.get("raw_path") or scope.get("path", "").encode()
        if _FORBIDDEN_IN_URL.search(unquote_to_bytes(raw_path)):
            errors.append(_error(["path"], "the address holds a control character", "control_character"))
        query: bytes = scope.get("query_string", b"")
        if query and _FORBIDDEN_IN_URL.search(unquote_to_bytes(query.replace(b"+", b" "))):
            errors.append(
                _error(["query"], "a query parameter holds a control character", "control_character")
            )
        return errors


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


async def _refuse(scope: Scope, send: Send, errors: list[dict[str, Any]]) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "The request is not valid",
            "status": 422,
            "detail": "; ".join(f"{'.'.join(map(str, e['location']))}: {e['message']}" for e in errors),
            "instance": scope.get("path", ""),
            "errors": errors,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
