"""One place mapping the service layer's and the domain's refusals to problem details."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kaleidoscope_shared.http.problems import problem_response

from ..domain import EntryNotJudged, InvalidMarks, JudgingError, JurorConflicted, JurorNotAssigned
from ..service_layer.errors import ServiceError


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(request: Request, error: ServiceError) -> JSONResponse:
        return problem_response(
            error.status, error.title, error.detail, instance=request.url.path, **error.extra
        )

    @app.exception_handler(JudgingError)
    async def _domain(request: Request, error: JudgingError) -> JSONResponse:
        status, title, extra = _judging_problem(error)
        return problem_response(status, title, str(error), instance=request.url.path, **extra)


def _judging_problem(error: JudgingError) -> tuple[int, str, dict[str, Any]]:
    if isinstance(error, InvalidMarks):
        return 422, "The marks are not valid", {"problems": list(error.problems)}
    if isinstance(error, JurorConflicted):
        return 403, "Conflict of interest", {"reasons": list(error.reasons)}
    if isinstance(error, JurorNotAssigned):
        return 403, "Entry not assigned to you", {}
    if isinstance(error, EntryNotJudged):
        return 409, "Entry withdrawn", {}
    return 422, "Not allowed by the contest's rules", {}
