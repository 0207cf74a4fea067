"""HTTP routes for a participant's entry: submit it, then see, correct or withdraw it by its private link."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from kaleidoscope_shared.http.openapi import problems

from ..adapters.client_address import client_address, trusted_networks
from ..domain.entry import AttachmentRef, EntryContent
from ..service_layer import entries as use_cases
from ..service_layer.attachments import upload_attachment
from ..service_layer.entries import IdempotencyKey
from ..service_layer.views import EntryReceipt, EntryView
from .dependencies import ContextDep, EntryTokenDep, EntryTokenOnlyDep, OrganiserDep

router = APIRouter(tags=["entries"])

UPLOAD_MEDIA_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "application/octet-stream",
)
"""What an upload may declare: the types a contest can accept (each contest names its own; the type
is read from the content, whatever is declared)."""
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file itself, as the raw body. Its type is read from its content: a contest "
        "accepts only the types its rules name (by default PDF, PNG, JPEG, DOCX and ODT).",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in UPLOAD_MEDIA_TYPES
        },
    }
}
INLINE_MEDIA_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})
"""Files a browser may show in place (`?inline=1`); any other type is always a download, so that an
uploaded page or script never runs where it is opened."""


class EntryChanges(BaseModel):
    """The fields to change; those left out keep their value. The result is checked as a whole."""

    model_config = ConfigDict(extra="forbid")

    nomination_code: str | None = None
    title: str | None = None
    annotation: str | None = None
    authors: list[dict[str, Any]] | None = None
    links: list[str] | None = None
    attachments: list[dict[str, Any]] | None = None
    consent_to_personal_data: bool | None = None
    language: str | None = Field(
        None, description="ru or en: every author's language, unless `authors` give their own"
    )


class WithdrawEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        max_length=2000,
        description="Why the entry is withdrawn; must not be blank.",
        # What the service layer checks (the reason is not blank), as the document says it; without
        # control characters, which every request is refused for.
        json_schema_extra={"pattern": r"^[\t\n\r ]*[^\s\x00-\x1f\x7f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"},
    )


@router.post(
    "/contests/{contest_id}/entries",
    status_code=201,
    response_model=EntryReceipt,
    responses=problems(
        _409="The contest's window is not open, the entry is a duplicate, or its authors have reached "
        "their limit of entries in the nomination.",
    ),
)
async def submit_entry(
    contest_id: uuid.UUID,
    content: EntryContent,
    ctx: ContextDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Submit an entry while the contest's window is open. The answer carries the private link (shown
    once) that lets the participant see, correct and withdraw it. Send an `Idempotency-Key` header so
    that a retried request creates one entry and gets the same answer."""
    idempotency = IdempotencyKey.of(idempotency_key, contest_id, content) if idempotency_key else None
    receipt = await use_cases.submit_entry(ctx, contest_id, content, idempotency)
    # already a validated model: serialise it once rather than have FastAPI validate it again
    return Response(receipt.model_dump_json(), status_code=201, media_type="application/json")


@router.post(
    "/contests/{contest_id}/attachments",
    status_code=201,
    response_model=AttachmentRef,
    openapi_extra=UPLOAD_BODY,
    responses=problems(
        415,
        _409="The contest's window is not open, or the contest holds as many files waiting for an "
        "entry as it may.",
        _413="The file is larger than the contest accepts.",
        _429="Too many uploads from this client: wait `Retry-After` seconds, or too many of its files "
        "wait for an entry.",
    ),
)
async def upload_entry_attachment(
    contest_id: uuid.UUID,
    request: Request,
    ctx: ContextDep,
    filename: Annotated[str, Query(min_length=1, max_length=300)],
) -> AttachmentRef:
    """Upload one file as the raw request body (`?filename=`), before the entry that lists it under
    `attachments`. Its type is read from its content (415 unless the contest accepts it); over the
    contest's size limit the upload is refused with 413 as soon as that is known. Files no submitted
    entry lists are limited per client address (429) and per contest (409), uploads per address per
    minute (429 with Retry-After), and deleted after a grace period."""
    declared = request.headers.get("content-length")
    trusted = trusted_networks(request.app.state.submissions.settings.trusted_proxies)
    client = client_address(
        request.client.host if request.client else None, request.headers.getlist("x-forwarded-for"), trusted
    )
    return await upload_attachment(
        ctx,
        contest_id,
        client=client,
        filename=filename,
        declared_type=request.headers.get("content-type"),
        declared_size=int(declared) if declared and declared.isdigit() else None,
        chunks=request.stream(),
    )


@router.get("/entries/{entry_id}", response_model=EntryView)
async def get_entry(
    entry_id: uuid.UUID, ctx: ContextDep, token: EntryTokenDep, organiser: OrganiserDep
) -> EntryView:
    """The entry, for its participant (private token) or an organiser; 404 for any other token."""
    return await use_cases.view_entry(ctx, entry_id, None if organiser else token)


@router.patch(
    "/entries/{entry_id}",
    response_model=EntryView,
    responses=problems(
        _409="The submission window has closed, the entry is withdrawn, or it was changed meanwhile."
    ),
)
async def edit_entry(
    entry_id: uuid.UUID, changes: EntryChanges, ctx: ContextDep, token: EntryTokenOnlyDep
) -> EntryView:
    """Correct the entry before the deadline (private token); it becomes the next revision and
    EntryUpdated is emitted."""
    return await use_cases.edit_entry(ctx, entry_id, token, changes.model_dump(exclude_unset=True))


@router.delete(
    "/entries/{entry_id}",
    response_model=EntryView,
    responses=problems(_409="The submission window has closed, or the entry is withdrawn already."),
)
async def withdraw_entry(
    entry_id: uuid.UUID, body: WithdrawEntry, ctx: ContextDep, token: EntryTokenOnlyDep
) -> EntryView:
    """Withdraw the entry before the deadline, with a reason (private token); EntryWithdrawn is emitted."""
    return await use_cases.withdraw_entry(ctx, entry_id, token, body.reason)


@router.get(
    "/entries/{entry_id}/attachments/{key:path}",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The file, as it was uploaded.",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in UPLOAD_MEDIA_TYPES
            },
        }
    },
)
async def download_attachment(
    entry_id: uuid.UUID,
    key: str,
    ctx: ContextDep,
    token: EntryTokenDep,
    organiser: OrganiserDep,
    grant: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="An ENTRY_FILE grant on `{entry_id}:{key}` (judging issues it to an assigned juror), "
            "instead of the entry token.",
        ),
    ] = None,
    inline: Annotated[
        bool, Query(description="Show a PDF or an image in the browser rather than download it.")
    ] = False,
) -> StreamingResponse:
    """One of the entry's files, for its participant (entry token), an organiser, or a juror with a
    grant from judging; a wrong token or a bad or expired grant is the same 404 as no such entry.
    `?inline=1` asks for `Content-Disposition: inline` (PDFs and images only; anything else downloads)."""
    attachment = await use_cases.entry_attachment(
        ctx, entry_id, key, organiser=organiser, token=token, grant=grant
    )
    chunks = ctx.storage.open(key)
    shown = "inline" if inline and attachment.media_type in INLINE_MEDIA_TYPES else "attachment"
    return StreamingResponse(
        chunks,
        media_type=attachment.media_type,
        headers={
            "Content-Disposition": f"{shown}; filename*=UTF-8''{quote(attachment.filename, safe='')}",
            "X-Content-Type-Options": "nosniff",
        },
    )
