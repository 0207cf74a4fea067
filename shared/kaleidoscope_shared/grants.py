"""Grants: short-lived, signed permissions that one service issues and another checks, with no call
between them.

A grant says "the bearer may do `scope` on `subject` until `expires`", signed with HMAC-SHA256 under a
key every service reads from its configuration (`<SERVICE>_GRANT_KEY`, the same secret everywhere).
Judging, which knows who is assigned to what, grants a juror one entry's file; submissions, which keeps
the file, checks the grant and serves it. A grant cannot be widened (the scope and subject are signed),
outlives nothing past `expires`, and a grant of one scope is refused for another. The format is
`<scope>.<subject>.<expires>.<signature>`, URL-safe, so a grant can travel in a query string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

# Scopes: who issues, who checks.
ENTRY_FILE = "entry-file"  # judging → submissions: one attachment of one entry, for an assigned juror
ENTRY_DOCUMENTS = "entry-documents"  # submissions → notifications: the documents issued to an entry
JUROR_SIGN_IN = "juror-sign-in"  # judging → judging: the personal link in a juror's e-mails


class GrantRefused(ValueError):
    """The grant is malformed, signed with another key, of another scope or subject, or expired."""


@dataclass(frozen=True)
class Grant:
    scope: str
    subject: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(key: str, payload: str) -> str:
    return _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())


def issue_grant(key: str, scope: str, subject: str, ttl_s: float, *, now: float | None = None) -> str:
    """A grant of `scope` on `subject` (no dots in either) valid for `ttl_s` seconds."""
    if "." in scope or "." in subject or not scope or not subject:
        raise ValueError("a grant's scope and subject must be non-empty and free of dots")
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = f"{scope}.{subject}.{expires}"
    return f"{payload}.{_sign(key, payload)}"


def check_grant(
    key: str, grant: str, scope: str, subject: str | None = None, *, now: float | None = None
) -> Grant:
    """The grant, if it is genuine, of `scope` (and of `subject`, when given) and not expired."""
    parts = grant.split(".")
    if len(parts) != 4:
        raise GrantRefused("malformed grant")
    got_scope, got_subject, expires, signature = parts
    if not hmac.compare_digest(signature, _sign(key, f"{got_scope}.{got_subject}.{expires}")):
        raise GrantRefused("the grant's signature does not match")
    if got_scope != scope or (subject is not None and got_subject != subject):
        raise GrantRefused("the grant is for something else")
    if not expires.isdigit() or int(expires) < (time.time() if now is None else now):
        raise GrantRefused("the grant has expired")
    return Grant(got_scope, got_subject, int(expires))
