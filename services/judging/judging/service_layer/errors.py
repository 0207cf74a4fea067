"""Errors a caller of the service layer can meet; the HTTP layer maps each to problem details."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal with an HTTP-like status, a short title and a detail that says what to do."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Refused(ServiceError):
    """The request conflicts with the state of the contest or stage (409)."""

    status = 409
    title = "Not possible now"


class Invalid(ServiceError):
    status = 422
    title = "The request is not valid"


class Forbidden(ServiceError):
    status = 403
    title = "Not allowed"
