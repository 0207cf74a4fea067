"""What a visitor sees when something goes wrong: a page that says what to do, never a stack trace.

A service's 404 stays a 404 (a visitor without the right never learns whether a private thing exists),
a refused or expired link says to use the latest e-mail or ask the organisers, a service that does not
answer is a 503 asking to try again in a minute.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from kaleidoscope_shared.observability.logging import get_logger

from ..adapters.api import ApiProblem, ServiceUnavailable
from ..adapters.session import forget_organiser
from ..i18n import _, ngettext
from .console.access import SignInRequired, sign_in_redirect
from .rendering import render
from .security import secure_page

log = get_logger(__name__)


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "errors/error.html", status_code=status, title=title, message=message)


def not_found(request: Request) -> HTMLResponse:
    return error_page(
        request,
        404,
        _("Page not found"),
        _(
            "There is no such page, or your link gives no access to it. Check the address or open the "
            "link from your latest e-mail."
        ),
    )


def unavailable_page(request: Request) -> HTMLResponse:
    return error_page(
        request,
        503,
        _("The service is temporarily unavailable"),
        _("Nothing you sent was lost. Please try again in a minute."),
    )


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, error: SignInRequired) -> Response:
        return sign_in_redirect(error.next_path)

    @app.exception_handler(ApiProblem)
    async def _refused(request: Request, problem: ApiProblem) -> Response:
        if problem.status == 401 and request.url.path.startswith("/console"):
            # the organisers' token changed since this organiser signed in: sign in again
            forget_organiser(request)
            return sign_in_redirect(request.url.path)
        if problem.status == 404:
            return not_found(request)
        if problem.status in (401, 403):
            return error_page(
                request,
                problem.status,
                _("This link no longer works"),
                _(
                    "Your link is wrong or has expired. Open the link from your latest e-mail, or ask the "
                    "organisers for a new one."
                ),
            )
        if problem.status == 429:
            minutes = max(1, -(-(problem.retry_after or 60) // 60))
            page = error_page(
                request,
                429,
                _("Too many attempts"),
                ngettext(
                    "Too many wrong links or tokens came from your address. Please wait %(num)d minute "
                    "and try again with the link from your latest e-mail.",
                    "Too many wrong links or tokens came from your address. Please wait %(num)d minutes "
                    "and try again with the link from your latest e-mail.",
                    minutes,
                )
                % {"num": minutes},
            )
            page.headers["Retry-After"] = str(problem.retry_after or 60)
            return page
        if problem.status == 503:
            log.warning("web.api_unavailable", title=problem.title, detail=problem.detail)
            page = unavailable_page(request)
            page.headers["Retry-After"] = str(problem.retry_after or 30)
            return page
        log.warning("web.api_refused", status=problem.status, title=problem.title, detail=problem.detail)
        return error_page(
            request,
            problem.status if problem.status < 500 else 502,
            _("Something went wrong"),
            problem.detail or problem.title,
        )

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, error: ServiceUnavailable) -> HTMLResponse:
        log.warning("web.service_unavailable", error=str(error))
        return unavailable_page(request)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> HTMLResponse:
        if error.status_code == 404:
            return not_found(request)
        if error.status_code == 403:
            return error_page(
                request,
                403,
                _("The form has expired"),
                _("Please go back, reload the page and send the form again."),
            )
        return error_page(request, error.status_code, _("Something went wrong"), str(error.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> HTMLResponse:
        log.exception("web.unexpected_error")
        page = error_page(
            request,
            500,
            _("Something went wrong"),
            _("Please try again in a minute. If it happens again, tell the organisers."),
        )
        # sent by Starlette's outermost ServerErrorMiddleware, past the security headers' middleware
        return secure_page(page, request.scope, https=request.app.state.settings.served_over_https())
