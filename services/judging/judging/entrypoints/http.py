"""HTTP routes of the judging service, one router per resource, and their error mapping."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from . import final_routes, juror_routes, jury_routes, report_routes, scoring_routes, stage_routes
from .errors import install_error_handlers

router = APIRouter()
for _module in (jury_routes, juror_routes, stage_routes, scoring_routes, final_routes, report_routes):
    router.include_router(_module.router)


def install(app: FastAPI) -> None:
    """Add every judging route and the mapping of judging's refusals to problem details."""
    app.include_router(router)
    install_error_handlers(app)
