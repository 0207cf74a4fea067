"""Bearer tokens: reading them from a request and comparing them without leaking timing."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from .problems import ProblemError


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
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


def require_organiser(request: Request, organiser_token: str) -> None:
    """Refuse the request unless it carries the deployment's organiser token."""
    token = bearer_token(request)
    if token is None:
        raise unauthenticated()
    if not same_secret(token, organiser_token):
        raise forbidden("This endpoint is for organisers; the token given is not the organiser token.")
