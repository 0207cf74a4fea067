"""Routes that need a credential check it before the request body is read.

FastAPI reads and parses a JSON body before it runs a route's dependencies, so without this an
anonymous caller's body (up to `max_body_bytes`) would be parsed before the 401. This plain ASGI
middleware learns from the app's routes which ones depend on a marked dependency, and answers a
request for one of them itself, without calling `receive`:

- `auth.requires_organiser`: no bearer token is a 401 (with `WWW-Authenticate: Bearer`), a token that
  is not the organiser's a 403 (counted as a failed authentication);
- `auth.requires_credential(credential)` (a juror's token or sign-in ticket, an entry token): no
  credential is a 401, and so is one of no shape the credential can have (counted as a failed
  authentication of its kind). Only the shape is known here: the dependency looks the credential up.

The problem documents are the ones the dependency gives. The dependency still runs for the requests
let through: the route stays guarded on its own.

It runs inside `BodyLimit` (a body declared too large is still a 413 first) and inside the throttle
(a client throttled for guessing is a 429 first). Routes are matched as the router matches them, in
order, the first full match (path and method) deciding, routers included with their own dependencies;
the table is built on the first request and again whenever the number of routes changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.datastructures import URL
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import (
    CREDENTIAL_MARK,
    NOT_THE_ORGANISER,
    ORGANISER_MARK,
    Credential,
    auth_failed,
    bearer_of,
    forbidden,
    same_secret,
    unauthenticated,
)
from .problems import ProblemError, problem_response


@dataclass(frozen=True)
class _Route:
    """One route as the router tries it: an API route by path pattern and methods, anything else
    (mounts, plain routes) by its own `matches`; what it requires, if anything."""

    organiser: bool
    credential: Credential | None = None
    path: str = ""
    pattern: re.Pattern[str] | None = None
    methods: frozenset[str] = frozenset()
    other: BaseRoute | None = None

    @property
    def guarded(self) -> bool:
        return self.organiser or self.credential is not None

    def match(self, scope: Scope, path: str) -> Match:
        if self.other is not None:
            return self.other.matches(scope)[0]
        assert self.pattern is not None
        if not self.pattern.match(path):
            return Match.NONE
        return Match.FULL if scope["method"] in self.methods else Match.PARTIAL


def _flat(routes: Iterable[BaseRoute]) -> Iterator[_Route]:
    """The app's routes in the order the router tries them, routers included with their own
    dependencies (FastAPI keeps an included router as one route of the app)."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            for context in contexts():
                if context.dependant is None:
                    yield _Route(organiser=False, other=context.starlette_route or context.original_route)
                else:
                    yield _api(context.path_format, context.path_regex, context.methods, context.dependant)
        elif isinstance(route, APIRoute):
            yield _api(route.path_format, route.path_regex, route.methods or (), route.dependant)
        else:
            yield _Route(organiser=False, other=route)


def _api(path: str, pattern: re.Pattern[str], methods: Iterable[str], dependant: Dependant) -> _Route:
    subs = list(_walk(dependant))
    organiser = any(getattr(sub.call, ORGANISER_MARK, False) for sub in subs)
    marks = (getattr(sub.call, CREDENTIAL_MARK, None) for sub in subs)
    credential = next((mark for mark in marks if isinstance(mark, Credential)), None)
    return _Route(
        organiser=organiser, credential=credential, path=path, pattern=pattern, methods=frozenset(methods)
    )


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)


def _listed(app: FastAPI, chosen: Callable[[_Route], bool]) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in _flat(app.router.routes)
        if chosen(route)
        for method in route.methods
        if method != "HEAD"
    }


def organiser_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route that requires the organiser."""
    return _listed(app, lambda route: route.organiser)


def credential_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route that requires a personal credential of a known shape."""
    return _listed(app, lambda route: not route.organiser and route.credential is not None)


class CredentialsFirst:
    def __init__(self, app: ASGIApp, *, routes_of: FastAPI, organiser_token: Callable[[], str]) -> None:
        self.app = app
        self.routes_of = routes_of
        self.organiser_token = organiser_token
        self._table: list[_Route] = []
        self._built_from = -1

    def table(self) -> list[_Route]:
        routes = self.routes_of.router.routes
        if len(routes) != self._built_from:
            table = list(_flat(routes))
            # Only the routes up to the last guarded route can decide that a check is needed.
            last = max((i for i, route in enumerate(table) if route.guarded), default=-1)
            self._table, self._built_from = table[: last + 1], len(routes)
        return self._table

    def route_of(self, scope: Scope) -> _Route | None:
        """The guarded route the request is for, if it is for one."""
        table = self.table()
        if not table:
            return None
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        for route in table:
            if route.match(scope, path) is Match.FULL:
                return route if route.guarded else None
        return None

    def refusal(self, scope: Scope, route: _Route) -> ProblemError | None:
        if route.organiser:
            token = next(
                (
                    bearer_of(v.decode("latin-1"))
                    for k, v in scope["headers"]
                    if k.lower() == b"authorization"
                ),
                None,
            )
            if token is None:
                return unauthenticated()
            if not same_secret(token, self.organiser_token()):
                auth_failed(scope, "organiser")
                return forbidden(NOT_THE_ORGANISER)
            return None
        assert route.credential is not None
        return route.credential.check(scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.route_of(scope) if scope["type"] == "http" else None
        error = self.refusal(scope, route) if route is not None else None
        if error is None:
            await self.app(scope, receive, send)
            return
        refusal = problem_response(error.status, error.title, error.detail, instance=URL(scope=scope).path)
        await refusal(scope, receive, send)
