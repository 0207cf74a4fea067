"""Bearer tokens: reading them from a request, comparing them without leaking timing, telling the
throttle (`throttle.py`) when a presented credential was refused, and marking the dependencies that
`auth_first.py` makes check a request before its body is read: the organiser's token
(`requires_organiser`) and a personal credential of a known shape (`requires_credential`)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from starlette.datastructures import QueryParams
from starlette.types import Scope

from .problems import ProblemError

ORGANISER_MARK = "__kaleidoscope_requires_organiser__"
"""The attribute `requires_organiser` sets on a dependency; `auth_first.py` looks for it in routes."""
CREDENTIAL_MARK = "__kaleidoscope_requires_credential__"
"""The attribute `requires_credential` sets on a dependency: the `Credential` it requires."""
ATTEMPT_KEY = "kaleidoscope.auth_attempt"
"""Where the throttle keeps, in the ASGI scope, what the request's credentials came to."""

Dependency = TypeVar("Dependency", bound=Callable[..., Any])


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    return bearer_of(request.headers.get("authorization", ""))


def bearer_of(header: str) -> str | None:
    """The token of an `Authorization` header's value, if it names the bearer scheme."""
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def same_secret(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def token_hash(token: str) -> str:
    """What is stored of a personal token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def unauthenticated(detail: str = "Send your token as 'Authorization: Bearer <token>'.") -> ProblemError:
    return ProblemError(401, "Authentication required", detail)


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "Not allowed", detail)


NOT_THE_ORGANISER = "This endpoint is for organisers; the token given is not the organiser token."


def require_organiser(request: Request, organiser_token: str) -> None:
    """Refuse the request unless it carries the deployment's organiser token (a wrong one is counted
    as a failed authentication)."""
    token = bearer_token(request)
    if token is None:
        raise unauthenticated()
    if not same_secret(token, organiser_token):
        auth_failed(request, "organiser")
        raise forbidden(NOT_THE_ORGANISER)


def requires_organiser(dependency: Dependency) -> Dependency:
    """Mark `dependency` as the organiser check: every route that depends on it gets that check from
    `CredentialsFirst` before its body is read, as well as from the dependency itself."""
    setattr(dependency, ORGANISER_MARK, True)
    return dependency


OPAQUE_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,128}")
"""The shape of a personal token the services issue: `secrets.token_urlsafe(32)` is 43 characters of
URL-safe base64 (the demo's seeded entry tokens are 64 hexadecimal digits)."""


def grant_shape(scope: str) -> re.Pattern[str]:
    """The shape of a grant of `scope` (`grants.py`: `<scope>.<subject>.<expires>.<signature>`, the
    signature an HMAC-SHA256 in URL-safe base64 without padding)."""
    return re.compile(rf"{re.escape(scope)}\.[^.\s]{{1,300}}\.[0-9]{{1,12}}\.[A-Za-z0-9_-]{{43}}")


@dataclass(frozen=True)
class CredentialShape:
    """One kind of credential a route takes: what `auth_failed` calls a refused one, the shape a genuine
    one has, and the detail of the 401 for one that has not. A credential is of the kind whose `prefix`
    it starts with (the longest such prefix; the empty prefix is every credential's)."""

    kind: str
    pattern: re.Pattern[str]
    malformed: str
    prefix: str = ""


@dataclass(frozen=True)
class Credential:
    """A personal credential a route requires (a juror's token, an entry token): a bearer token or, when
    `query` names one, that query parameter. `check` refuses a request without one, or with one of no
    shape it could have, from the request's scope alone: `auth_first.py` makes the check before the
    body is read, the dependency that looks the credential up may make it too."""

    shapes: tuple[CredentialShape, ...]
    missing: str
    query: str | None = None

    def presented(self, scope: Scope) -> str | None:
        """The bearer token, or else the query parameter's value; None for neither."""
        for name, value in scope.get("headers", ()):
            if name.lower() == b"authorization":
                token = bearer_of(value.decode("latin-1"))
                if token is not None:
                    return token
        if self.query is not None:
            return QueryParams(scope.get("query_string", b"")).get(self.query) or None
        return None

    def check(self, scope: Scope) -> ProblemError | None:
        """The 401 for a request without the credential or with a malformed one (which is reported to
        the throttle as a refused credential of its kind); None when its shape is right."""
        token = self.presented(scope)
        if token is None:
            return unauthenticated(self.missing)
        shape = max(
            (shape for shape in self.shapes if token.startswith(shape.prefix)), key=lambda s: len(s.prefix)
        )
        if shape.pattern.fullmatch(token):
            return None
        auth_failed(scope, shape.kind)
        return unauthenticated(shape.malformed)


def requires_credential(credential: Credential) -> Callable[[Dependency], Dependency]:
    """Mark `dependency` as requiring `credential`: every route that depends on it refuses a request
    without it, or with a malformed one, before the body is read (`auth_first.py`). The dependency
    still looks the credential up itself."""
    if not any(shape.prefix == "" for shape in credential.shapes):
        raise ValueError("a credential needs a shape for any token (the empty prefix)")

    def mark(dependency: Dependency) -> Dependency:
        setattr(dependency, CREDENTIAL_MARK, credential)
        return dependency

    return mark


class AuthAttempt:
    """What the credentials of one request came to: the kinds of credential that were refused."""

    __slots__ = ("failures",)

    def __init__(self) -> None:
        self.failures: list[str] = []


def auth_failed(request: Request | Scope, kind: str) -> None:
    """Record that the request's credential of `kind` (organiser, juror, entry_token, grant…) was
    refused: the throttle counts it for the client's address and the token's prefix when it answers."""
    scope = request.scope if isinstance(request, Request) else request
    attempt = scope.get(ATTEMPT_KEY)
    if isinstance(attempt, AuthAttempt):
        attempt.failures.append(kind)
