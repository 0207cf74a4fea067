"""Domain errors and model validation errors become RFC 9457 problem documents."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from kaleidoscope_shared.http.problems import problem_response

from ..domain.errors import SubmissionsError


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SubmissionsError)
    async def _rule_broken(request: Request, error: SubmissionsError) -> JSONResponse:
        return problem_response(
            error.status,
            error.title,
            error.message,
            type_=error.problem_type,
            instance=request.url.path,
            headers=error.headers(),
            **error.extensions(),
        )

    @app.exception_handler(ValidationError)
    async def _invalid_model(request: Request, error: ValidationError) -> JSONResponse:
        errors = [
            {"location": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors(include_url=False, include_context=False, include_input=False)
        ]
        return problem_response(
            422,
            "The request is not valid",
            "; ".join(str(e["message"]) for e in errors),
            instance=request.url.path,
            errors=errors,
        )
