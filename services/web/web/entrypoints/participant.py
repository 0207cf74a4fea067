"""The participant's pages: the submission form, the confirmation, the private entry page and its
edit, withdrawal, files and documents.

The private link (`/entries/<id>?token=…`) is exchanged for the session at once and the token leaves
the address bar; from then on the token travels only from the session to submissions' API, which
decides — a wrong token is the same 404 as a missing entry.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from ..adapters.api import ApiProblem, Services
from ..adapters.session import entry_token, flash, remember_entry_token, take_flash
from ..i18n import _
from .dependencies import ServicesDep
from .entry_form import MAX_AUTHORS, EntryForm, blank_author, errors_of, upload_refusal
from .errors import not_found
from .forms import FieldErrors, checked_form
from .public import (
    document_kinds,
    file_kinds,
    in_visitors_language,
    megabytes,
    published_contest,
    time_left,
    window_state,
)
from .rendering import render
from .security import FILE_CSP

router = APIRouter()


def form_page(
    request: Request,
    contest: dict[str, Any],
    form: EntryForm,
    errors: FieldErrors | None = None,
    *,
    action: str,
    idempotency_key: str = "",
    editing: bool = False,
    status_code: int = 200,
) -> Response:
    attachments = contest["rules"]["attachments"]
    return render(
        request,
        "participant/form.html",
        status_code=status_code,
        title=_("Edit the entry") if editing else _("Submit an entry"),
        contest=contest,
        form=form,
        errors=errors or FieldErrors(),
        action=action,
        idempotency_key=idempotency_key,
        editing=editing,
        max_size_bytes=attachments["max_size_bytes"],
        max_size_mb=megabytes(attachments["max_size_bytes"]),
        accepted_types=attachments["allowed_media_types"],
        file_kinds=file_kinds(attachments["allowed_media_types"]),
        time_left=time_left(contest["window"]["closes_at"]),
        languages=[("ru", "Русский"), ("en", "English")],
        nomination_options=[(n["code"], in_visitors_language(n)["title"]) for n in contest["nominations"]],
        consent_text=str(contest["rules"].get("consent_text") or ""),
        territory_options=sorted(
            ((t["code"], t["name"]) for t in contest["territories"]), key=lambda o: o[1]
        ),
    )


@router.get("/contests/{contest_id}/submit", response_class=HTMLResponse)
async def submission_form(request: Request, contest_id: uuid.UUID, services: ServicesDep) -> Response:
    contest = await published_contest(services, contest_id)
    if window_state(contest) != "open":
        return render(
            request,
            "participant/closed.html",
            title=_("Submissions are closed"),
            contest=contest,
            state=window_state(contest),
        )
    return form_page(
        request,
        contest,
        EntryForm(),
        action=f"/contests/{contest_id}/submit",
        idempotency_key=str(uuid.uuid4()),
    )


def apply_form_action(form: EntryForm, action: str) -> bool:
    """The buttons that change the form itself rather than send it: add or remove an author, drop a
    file. True when the form is to be shown again."""
    if action == "add_author" and len(form.authors) < MAX_AUTHORS:
        form.authors.append(blank_author())
        return True
    if action.startswith("remove_author_"):
        index = int(action.removeprefix("remove_author_") or -1)
        if 0 < index < len(form.authors):
            del form.authors[index]
        return True
    if action.startswith("remove_file_"):
        key = action.removeprefix("remove_file_")
        form.attachments = [a for a in form.attachments if a["key"] != key]
        return True
    return action != "send"


async def upload_files(
    services: Services, contest: dict[str, Any], raw_form: Any, form: EntryForm
) -> FieldErrors:
    """Files chosen in the form without JavaScript: each uploaded before the entry is sent."""
    errors = FieldErrors()
    max_size_mb = megabytes(contest["rules"]["attachments"]["max_size_bytes"])
    for upload in raw_form.getlist("files"):
        if not getattr(upload, "filename", ""):
            continue
        try:
            ref = await services.submissions.request(
                "POST",
                f"/contests/{contest['id']}/attachments",
                params={"filename": upload.filename},
                content=await upload.read(),
                headers={"Content-Type": upload.content_type or "application/octet-stream"},
            )
        except ApiProblem as problem:
            errors.add("files", f"{upload.filename}: {upload_refusal(problem, max_size_mb)}")
            continue
        form.attachments.append(ref)
    return errors


@router.post("/contests/{contest_id}/submit", response_class=HTMLResponse)
async def submit(request: Request, contest_id: uuid.UUID, services: ServicesDep) -> Response:
    contest = await published_contest(services, contest_id)
    raw = await checked_form(request)
    form = EntryForm.from_form(raw)
    idempotency_key = str(raw.get("idempotency_key") or uuid.uuid4())
    action = f"/contests/{contest_id}/submit"
    errors = await upload_files(services, contest, raw, form)
    if apply_form_action(form, str(raw.get("action") or "send")) or errors:
        return form_page(
            request,
            contest,
            form,
            errors,
            action=action,
            idempotency_key=idempotency_key,
            status_code=422 if errors else 200,
        )
    errors = form.check(contest)
    if errors:
        return form_page(
            request, contest, form, errors, action=action, idempotency_key=idempotency_key, status_code=422
        )
    try:
        receipt = await services.submissions.request(
            "POST",
            f"/contests/{contest_id}/entries",
            json=form.content(),
            headers={"Idempotency-Key": idempotency_key},
        )
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        return form_page(
            request,
            contest,
            form,
            errors_of(problem),
            action=action,
            idempotency_key=idempotency_key,
            status_code=problem.status,
        )
    remember_entry_token(request, receipt["id"], receipt["token"])
    flash(request, "private_link", receipt["private_link"])
    return RedirectResponse(f"/entries/{receipt['id']}/submitted", status_code=303)


@router.post("/contests/{contest_id}/uploads")
async def upload(request: Request, contest_id: uuid.UUID, filename: str, services: ServicesDep) -> Response:
    """The form's script uploads each file here as it is chosen (with a progress bar); the answer is
    the stored file's reference, or a problem whose `detail` is in the visitor's language."""
    contest = await published_contest(services, contest_id)
    if request.headers.get("x-csrf-token") != request.session.get("csrf"):
        return JSONResponse(
            {"title": "Forbidden", "status": 403, "detail": _("Reload the page and try again.")},
            status_code=403,
            media_type="application/problem+json",
        )
    max_size_mb = megabytes(contest["rules"]["attachments"]["max_size_bytes"])
    try:
        ref = await services.submissions.request(
            "POST",
            f"/contests/{contest_id}/attachments",
            params={"filename": filename},
            content=request.stream(),
            headers={
                "Content-Type": request.headers.get("content-type", "application/octet-stream"),
                **(
                    {"Content-Length": request.headers["content-length"]}
                    if "content-length" in request.headers
                    else {}
                ),
            },
        )
    except ApiProblem as problem:
        return JSONResponse(
            {
                "title": problem.title,
                "status": problem.status,
                "detail": upload_refusal(problem, max_size_mb),
            },
            status_code=problem.status,
            media_type="application/problem+json",
        )
    return JSONResponse(ref, status_code=201)


@router.get("/entries/{entry_id}/submitted", response_class=HTMLResponse)
async def submitted(request: Request, entry_id: uuid.UUID, services: ServicesDep) -> Response:
    private_link = take_flash(request, "private_link")
    token = entry_token(request, str(entry_id))
    if not private_link or not token:
        return RedirectResponse(f"/entries/{entry_id}", status_code=303)
    entry = await services.submissions.get(f"/entries/{entry_id}", token=token)
    contest = await services.submissions.get(f"/contests/{entry['contest_id']}")
    return render(
        request,
        "participant/submitted.html",
        title=_("Your entry has been received"),
        entry=entry,
        contest=contest,
        private_link=private_link,
    )


async def own_entry(request: Request, services: Services, entry_id: uuid.UUID) -> tuple[dict[str, Any], str]:
    token = entry_token(request, str(entry_id))
    if not token:
        raise ApiProblem(404, "Not found")
    return await services.submissions.get(f"/entries/{entry_id}", token=token), token


@router.get("/entries/{entry_id}", response_class=HTMLResponse)
async def entry_page(
    request: Request, entry_id: uuid.UUID, services: ServicesDep, token: str = ""
) -> Response:
    if token:
        # check before remembering: a wrong link must not replace a working one
        await services.submissions.get(f"/entries/{entry_id}", token=token)
        remember_entry_token(request, str(entry_id), token)
        return RedirectResponse(f"/entries/{entry_id}", status_code=303)
    entry, _token = await own_entry(request, services, entry_id)
    contest = await services.submissions.get(f"/contests/{entry['contest_id']}")
    documents = await documents_of(services, entry)
    return render(
        request,
        "participant/entry.html",
        title=entry["content"]["title"],
        entry=entry,
        contest=contest,
        nomination=next(
            (
                in_visitors_language(n)
                for n in contest["nominations"]
                if n["code"] == entry["content"]["nomination_code"]
            ),
            None,
        ),
        territories={t["code"]: t["name"] for t in contest["territories"]},
        steps=timeline(entry, contest),
        can_change=entry["status"] != "withdrawn" and window_state(contest) == "open",
        documents=documents,
        kind_names=document_kinds(),
        notice=take_flash(request, "notice"),
    )


async def documents_of(services: Services, entry: dict[str, Any]) -> list[dict[str, Any]]:
    grant = entry.get("documents_grant")
    if not grant:
        return []
    try:
        found = await services.notifications.get(f"/entries/{entry['id']}/documents", params={"grant": grant})
    except ApiProblem:
        return []
    return list(found)


def timeline(entry: dict[str, Any], contest: dict[str, Any]) -> list[dict[str, Any]]:
    """received → edited → in review → finalist → winner / not advanced, each done, current or to come."""
    progress = entry.get("progress", "submitted")
    detail = entry.get("progress_detail") or {}
    steps: list[dict[str, Any]] = [{"label": _("Received"), "when": entry["submitted_at"], "state": "done"}]
    if entry["revision"] > 1 and entry["status"] != "withdrawn":
        steps.append({"label": _("Edited"), "when": entry["updated_at"], "state": "done"})
    if entry["status"] == "withdrawn":
        steps.append(
            {
                "label": _("Withdrawn"),
                "when": entry.get("withdrawn_at"),
                "state": "current",
                "note": entry.get("withdrawal_reason") or "",
            }
        )
        return steps
    reviewing = contest["status"] in ("submissions_closed", "results")
    steps.append(
        {
            "label": _("In review by the jury"),
            "state": "done" if progress != "submitted" else ("current" if reviewing else "todo"),
        }
    )
    if progress == "not_advanced":
        steps.append(
            {"label": _("Not advanced to the final"), "state": "current", "note": detail.get("reason", "")}
        )
    elif progress in ("advanced", "winner"):
        steps.append({"label": _("Finalist"), "state": "done" if progress == "winner" else "current"})
    else:
        steps.append({"label": _("Finalist"), "state": "todo"})
    if progress == "winner":
        place = detail.get("place")
        steps.append(
            {
                "label": _("Winner") if place in (None, 1) else _("Place %(n)s") % {"n": place},
                "state": "current",
            }
        )
    elif progress != "not_advanced":
        steps.append(
            {"label": _("Results"), "state": "todo" if contest["status"] != "results" else "current"}
        )
    return steps


@router.get("/entries/{entry_id}/edit", response_class=HTMLResponse)
async def edit_form(request: Request, entry_id: uuid.UUID, services: ServicesDep) -> Response:
    entry, _token = await own_entry(request, services, entry_id)
    contest = await services.submissions.get(f"/contests/{entry['contest_id']}")
    return form_page(
        request,
        contest,
        EntryForm.from_entry(entry["content"]),
        action=f"/entries/{entry_id}/edit",
        editing=True,
    )


@router.post("/entries/{entry_id}/edit", response_class=HTMLResponse)
async def edit(request: Request, entry_id: uuid.UUID, services: ServicesDep) -> Response:
    entry, token = await own_entry(request, services, entry_id)
    contest = await services.submissions.get(f"/contests/{entry['contest_id']}")
    raw = await checked_form(request)
    form = EntryForm.from_form(raw)
    action = f"/entries/{entry_id}/edit"
    errors = await upload_files(services, contest, raw, form)
    if apply_form_action(form, str(raw.get("action") or "send")) or errors:
        return form_page(
            request, contest, form, errors, action=action, editing=True, status_code=422 if errors else 200
        )
    errors = form.check(contest)
    if errors:
        return form_page(request, contest, form, errors, action=action, editing=True, status_code=422)
    try:
        await services.submissions.request("PATCH", f"/entries/{entry_id}", token=token, json=form.content())
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 404:
            raise
        return form_page(
            request,
            contest,
            form,
            errors_of(problem),
            action=action,
            editing=True,
            status_code=problem.status,
        )
    flash(request, "notice", _("Your changes are saved."))
    return RedirectResponse(f"/entries/{entry_id}", status_code=303)


@router.get("/entries/{entry_id}/withdraw", response_class=HTMLResponse)
async def withdraw_form(request: Request, entry_id: uuid.UUID, services: ServicesDep) -> Response:
    entry, _token = await own_entry(request, services, entry_id)
    return render(
        request,
        "participant/withdraw.html",
        title=_("Withdraw the entry"),
        entry=entry,
        errors=FieldErrors(),
        reason="",
    )


@router.post("/entries/{entry_id}/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, entry_id: uuid.UUID, services: ServicesDep) -> Response:
    entry, token = await own_entry(request, services, entry_id)
    raw = await checked_form(request)
    reason = str(raw.get("reason") or "").strip()
    errors = FieldErrors()
    if not reason:
        errors.add("reason", _("Say why the entry is withdrawn."))
    else:
        try:
            await services.submissions.request(
                "DELETE", f"/entries/{entry_id}", token=token, json={"reason": reason}
            )
        except ApiProblem as problem:
            if problem.status >= 500 or problem.status == 404:
                raise
            errors = errors_of(problem)
    if errors:
        return render(
            request,
            "participant/withdraw.html",
            status_code=422,
            title=_("Withdraw the entry"),
            entry=entry,
            errors=errors,
            reason=reason,
        )
    flash(request, "notice", _("The entry is withdrawn."))
    return RedirectResponse(f"/entries/{entry_id}", status_code=303)


@router.get("/entries/{entry_id}/files/{key:path}")
async def own_file(request: Request, entry_id: uuid.UUID, key: str, services: ServicesDep) -> Response:
    token = entry_token(request, str(entry_id))
    if not token:
        return not_found(request)
    return await stream_file(services, f"/entries/{entry_id}/attachments/{key}", token=token)


@router.get("/entries/{entry_id}/documents/{document_id}")
async def own_document(
    request: Request, entry_id: uuid.UUID, document_id: uuid.UUID, services: ServicesDep
) -> Response:
    entry, _token = await own_entry(request, services, entry_id)
    documents = {d["document_id"]: d for d in await documents_of(services, entry)}
    document = documents.get(str(document_id))
    if document is None:
        return not_found(request)
    response = await stream_file(
        services,
        f"/documents/{document_id}/pdf",
        api="notifications",
        params={"grant": entry["documents_grant"]},
    )
    name = document.get("filename") or f"{document['kind']}.pdf"
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    return response


async def stream_file(
    services: Services,
    path: str,
    *,
    token: str | None = None,
    api: str = "submissions",
    params: dict[str, str] | None = None,
) -> Response:
    """A file from a service, passed through without holding it in memory."""
    service = getattr(services, api)
    context = service.stream(path, token=token, params=params)
    upstream = await context.__aenter__()

    async def body() -> Any:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        finally:
            await context.__aexit__(None, None, None)

    headers = {
        k: v for k, v in upstream.headers.items() if k.lower() in ("content-disposition", "content-length")
    }
    headers["Content-Security-Policy"] = FILE_CSP  # a file is shown as itself, never as a page of this site
    return StreamingResponse(body(), media_type=upstream.headers.get("content-type"), headers=headers)
