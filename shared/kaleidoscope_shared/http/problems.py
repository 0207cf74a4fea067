"""RFC 9457 problem details for every error a client can meet."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..observability.logging import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)


class ProblemError(Exception):
    """An error that becomes a problem-details response: what was wrong and what to do."""

    def __init__(
        self, status: int, title: str, detail: str = "", *, type_: str = "about:blank", **extra: Any
    ):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.extra = extra


def problem_response(
    status: int, title: str, detail: str = "", *, type_: str = "about:blank", instance: str = "", **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, error: ProblemError) -> JSONResponse:
        return problem_response(
            error.status,
            error.title,
            error.detail,
            type_=error.type,
            instance=request.url.path,
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
        return problem_response(error.status_code, title or "Error", detail, instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("http.unhandled_error", path=request.url.path)
        return problem_response(
            500, "Internal Server Error", "The error was logged; please try again.", instance=request.url.path
        )
