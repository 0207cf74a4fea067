"""The visitor's session: a signed cookie (HttpOnly, SameSite=Lax, Secure behind https), no server state.

It holds only what the visitor proved: the private tokens of entries they opened by their link, the
juror sign-in ticket per contest, an organiser's name and token (sealed: AES-GCM under a key derived
from the session secret, so the cookie never shows it), a CSRF token, and a one-time message to show
after a redirect. Any
web process can read it, so the web front scales like a stateless API.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.requests import Request

CSRF_FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The visitor's CSRF token, made on first use; every form carries it in a hidden field."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


def csrf_valid(request: Request, submitted: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and submitted and hmac.compare_digest(str(expected), submitted))


def remember_entry_token(request: Request, entry_id: str, token: str) -> None:
    tokens = dict(request.session.get("entries", {}))
    tokens[entry_id] = token
    # a visitor who opened many private links keeps the latest few
    request.session["entries"] = dict(list(tokens.items())[-20:])


def entry_token(request: Request, entry_id: str) -> str | None:
    tokens: dict[str, str] = request.session.get("entries", {})
    return tokens.get(entry_id)


def remember_juror(request: Request, contest_id: str, ticket: str) -> None:
    jurors = dict(request.session.get("jurors", {}))
    jurors[contest_id] = ticket
    request.session["jurors"] = dict(list(jurors.items())[-5:])


def juror_ticket(request: Request, contest_id: str) -> str | None:
    tickets: dict[str, str] = request.session.get("jurors", {})
    return tickets.get(contest_id)


def remember_organiser(request: Request, name: str, sealed_token: str) -> None:
    """An organiser signed in: their name (the audit log's actor) and their token, sealed."""
    request.session["organiser"] = {"name": name, "token": sealed_token}


def organiser_in_session(request: Request) -> dict[str, str] | None:
    found = request.session.get("organiser")
    return found if isinstance(found, dict) and found.get("token") else None


def forget_organiser(request: Request) -> None:
    request.session.pop("organiser", None)


def flash(request: Request, key: str, value: Any) -> None:
    """Something the next page shows once (e.g. the private link after submitting)."""
    request.session.setdefault("flash", {})[key] = value
    request.session["flash"] = dict(request.session["flash"])


def take_flash(request: Request, key: str) -> Any:
    stored = dict(request.session.get("flash", {}))
    value = stored.pop(key, None)
    request.session["flash"] = stored
    return value
