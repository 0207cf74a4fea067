"""RFC 9457 problem details for every error a client can meet.

A database that does not answer (refused, restarting, pool exhausted; see `db.is_database_unavailable`)
is the service's passing trouble, not a fault: the answer is 503 with `Retry-After`, logged once as a
warning and counted in `DEPENDENCY_UNAVAILABLE`. Its handler is registered for the concrete exception
classes, not for `Exception`: Starlette gives an `Exception` handler to its outermost
ServerErrorMiddleware, which answers and then re-raises, so the server logs the error a second time
and closes the client's connection. Handlers for concrete classes run inside, answer, and are done.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from types import TracebackType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..db import is_database_unavailable
from ..observability.logging import get_logger
from ..observability.metrics import DEPENDENCY_UNAVAILABLE
from .security import SECURITY_HEADERS

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 5
"""What a 503 for a database that does not answer tells the client to wait before trying again."""
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
log = get_logger(__name__)

_DATABASE_MODULES = ("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3", "psycopg")


class ProblemError(Exception):
    """An error that becomes a problem-details response: what was wrong and what to do."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        type_: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.headers = dict(headers or {})
        self.extra = extra


def problem_response(
    status: int,
    title: str,
    detail: str = "",
    *,
    type_: str = "about:blank",
    instance: str = "",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {**(BEARER_CHALLENGE if status == 401 else {}), **(headers or {})}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def database_unavailable_response(request: Request, error: BaseException) -> JSONResponse:
    """The 503 for a database that does not answer: counted, logged once, no traceback."""
    DEPENDENCY_UNAVAILABLE.labels("database", "api").inc()
    log.warning(
        "http.database_unavailable",
        method=request.method,
        path=request.url.path,
        error=f"{type(error).__name__}: {error}"[:300],
    )
    return problem_response(
        503,
        "Service Unavailable",
        f"The database does not answer; try again in {RETRY_AFTER_S} seconds.",
        instance=request.url.path,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def from_database(error: BaseException) -> bool:
    """Whether `error` is the database's: a SQLAlchemy error, or one raised in a database driver's code
    (an OSError from a file written by the service is not the database's)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (DBAPIError, PoolTimeout)):
            return True
        if any(module.startswith(_DATABASE_MODULES) for module in _traceback_modules(current.__traceback__)):
            return True
        current = current.__cause__ or current.__context__
    return False


def _traceback_modules(traceback: TracebackType | None) -> list[str]:
    modules = []
    while traceback is not None:
        modules.append(str(traceback.tb_frame.f_globals.get("__name__", "")))
        traceback = traceback.tb_next
    return modules


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, error: ProblemError) -> JSONResponse:
        return problem_response(
            error.status,
            error.title,
            error.detail,
            type_=error.type,
            instance=request.url.path,
            headers=error.headers,
            **error.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        return problem_response(
            422,
            "The request is not valid",
            "; ".join(f"{'.'.join(map(str, e['location']))}: {e['message']}" for e in errors),
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        title = (
            HTTPStatus(error.status_code).phrase if error.status_code in HTTPStatus._value2member_map_ else ""
        )
        detail = error.detail if isinstance(error.detail, str) else ""
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
        return problem_response(
            error.status_code, title or "Error", detail, instance=request.url.path, headers=headers
        )

    async def _database(request: Request, error: Exception) -> JSONResponse:
        if is_database_unavailable(error) and from_database(error):
            return database_unavailable_response(request, error)
        return unexpected_error_response(request, error)

    for database_error in (DBAPIError, PoolTimeout, OSError):
        app.add_exception_handler(database_error, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        return unexpected_error_response(request, error)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app takes at the request's path. The router's 405 names only the
    methods of the first route that has the path, but a path such as `/contests` is served by one route
    per method."""
    allowed = []
    for method in METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def unexpected_error_response(request: Request, error: BaseException) -> JSONResponse:
    log.error("http.unhandled_error", path=request.url.path, exc_info=error)
    # Also the answer of Starlette's ServerErrorMiddleware, outside every other middleware: the
    # security headers are added here.
    return problem_response(
        500,
        "Internal Server Error",
        "The error was logged; please try again.",
        instance=request.url.path,
        headers=SECURITY_HEADERS,
    )
