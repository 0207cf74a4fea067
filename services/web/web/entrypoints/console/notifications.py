"""The console's notifications pages: the delivery log of a contest (filtered by kind, recipient, status
and channel), who has not been told, resending a delivery, and every message's template previewed in
both languages with sample data.

A template's HTML is shown in a sandboxed frame (`sandbox=""`: no scripts, no same-origin) whose page,
`…/notifications/templates/{kind}/{language}`, is the message alone under a policy of its own
(`MESSAGE_CSP`: a sandbox, inline styles as e-mails have them, nothing loaded, framed by the console
only): the preview cannot run anything on the console's origin, whatever a template holds, and the
console's own pages keep a policy without inline styles (a `srcdoc` frame would inherit theirs).
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...adapters.api import ApiProblem
from ...adapters.session import flash, take_flash
from ...i18n import _
from ..dependencies import ServicesDep
from ..forms import checked_form
from ..rendering import render
from .access import OrganiserDep
from .common import contest_of, contest_zone

router = APIRouter()
PAGE_SIZE = 50
# a message's HTML in its frame: shown as a mail client shows it (inline styles), nothing else
MESSAGE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
TEMPLATE_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
LANGUAGES = (("ru", "Русский"), ("en", "English"))
TextQuery = Annotated[str, Query(max_length=200)]
BACK_KEYS = frozenset({"kind", "recipient", "status", "channel", "page"})


def delivery_statuses() -> dict[str, str]:
    return {
        "pending": _("Waiting to be sent"),
        "sending": _("Being sent"),
        "sent": _("Sent"),
        "failed": _("Failed, will retry"),
        "dead": _("Failed, gave up"),
    }


def kind_label(kind: str) -> str:
    """A message kind (`deadline_changed`, `deadline-changed`, an event type) as people read it."""
    labels = {
        "entry_received": _("Entry received"),
        "entry_updated": _("Entry changed"),
        "entry_withdrawn": _("Entry withdrawn"),
        "submissions_closed": _("Submissions closed"),
        "juror_assigned": _("Juror assigned"),
        "juror_reminder": _("Reminder to a juror"),
        "final_invitation": _("Invitation to the final"),
        "non_finalist_thanks": _("Thanks to a non-finalist"),
        "winner_congratulations": _("Congratulations to a winner"),
        "contest_finished_participant": _("Contest finished: participant"),
        "contest_finished_organiser": _("Contest finished: organisers"),
        "special_mention": _("Special mention"),
        "deadline_changed": _("Deadline moved"),
        "juror_link_reissued": _("Juror's new link"),
    }
    return labels.get(kind.replace("-", "_"), kind)


def safe_back(query: str) -> str:
    """The list's own filters to return to after a resend: only they, re-encoded."""
    return urlencode([(k, v) for k, v in parse_qsl(query) if k in BACK_KEYS])


@router.get("/console/contests/{contest_id}/notifications", response_class=HTMLResponse)
async def deliveries_page(
    request: Request,
    contest_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
    kind: TextQuery = "",
    recipient: TextQuery = "",
    status: TextQuery = "",
    channel: TextQuery = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    contest = await contest_of(services, organiser, contest_id)
    status = status if status in delivery_statuses() else ""
    chosen = {"kind": kind, "recipient": recipient.strip(), "status": status, "channel": channel}
    filters = {k: v for k, v in chosen.items() if v}
    # one more than a page: whether there is a next page, without counting the whole log
    found = await services.notifications.get(
        "/deliveries",
        **organiser.call(),
        params={
            "contest_id": str(contest_id),
            **filters,
            "offset": (page - 1) * PAGE_SIZE,
            "limit": PAGE_SIZE + 1,
        },
    )
    deliveries = found.get("items", []) if isinstance(found, dict) else list(found)
    untold = await services.notifications.get(f"/contests/{contest_id}/untold", **organiser.call())
    templates = await services.notifications.get("/templates", **organiser.call())
    channels = await services.notifications.get("/channels", **organiser.call())
    kinds = sorted({str(t["kind"]) for t in templates} | ({kind} if kind else set()))

    def page_link(number: int) -> str:
        return f"?{urlencode({**filters, 'page': number})}"

    return render(
        request,
        "console/notifications.html",
        title=_("Notifications"),
        organiser=organiser,
        contest=contest,
        section="notifications",
        zone=contest_zone(request, contest),
        deliveries=deliveries[:PAGE_SIZE],
        untold=untold,
        chosen=chosen,
        filtered=bool(filters),
        page=page,
        previous_link=page_link(page - 1) if page > 1 else None,
        next_link=page_link(page + 1) if len(deliveries) > PAGE_SIZE else None,
        kinds=[(k, kind_label(k)) for k in kinds],
        kind_label=kind_label,
        statuses=delivery_statuses(),
        channels=[
            (c, c) for c in sorted(set(channels.get("enabled") or []) | ({channel} if channel else set()))
        ],
        back=urlencode({**filters, **({"page": page} if page > 1 else {})}),
        notice=take_flash(request, "console"),
        refusal=take_flash(request, "console_refusal"),
    )


@router.post("/console/contests/{contest_id}/notifications/{delivery_id}/resend")
async def resend(
    request: Request,
    contest_id: uuid.UUID,
    delivery_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
) -> Response:
    form = await checked_form(request)
    try:
        delivery = await services.notifications.request(
            "POST", f"/deliveries/{delivery_id}/resend", **organiser.call()
        )
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        flash(request, "console_refusal", _("It is being sent right now; try again in a minute."))
    else:
        flash(
            request,
            "console",
            _("The message to %(recipient)s is queued to be sent again.")
            % {"recipient": delivery.get("address") or delivery.get("recipient") or ""},
        )
    query = safe_back(str(form.get("back") or "")[:1000])
    return RedirectResponse(
        f"/console/contests/{contest_id}/notifications{'?' + query if query else ''}#log", status_code=303
    )


@router.get("/console/contests/{contest_id}/notifications/templates", response_class=HTMLResponse)
async def template_preview(
    request: Request,
    contest_id: uuid.UUID,
    organiser: OrganiserDep,
    services: ServicesDep,
    kind: TextQuery = "",
) -> Response:
    contest = await contest_of(services, organiser, contest_id)
    templates = await services.notifications.get("/templates", **organiser.call())
    kinds = [str(t["kind"]) for t in templates]
    chosen = kind if kind in kinds else (kinds[0] if kinds else "")
    previews: list[dict[str, Any]] = []
    if chosen:
        for language, name in LANGUAGES:
            preview = await services.notifications.get(
                f"/templates/{chosen}/{language}/preview", **organiser.call()
            )
            previews.append({"language": language, "name": name, **preview})
    return render(
        request,
        "console/notifications_templates.html",
        title=_("Message templates"),
        organiser=organiser,
        contest=contest,
        section="notifications",
        kinds=[(k, kind_label(k)) for k in kinds],
        chosen=chosen,
        chosen_label=kind_label(chosen),
        previews=previews,
    )


@router.get(
    "/console/contests/{contest_id}/notifications/templates/{kind}/{language}", response_class=HTMLResponse
)
async def template_html(
    contest_id: uuid.UUID, kind: str, language: str, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    """A message's HTML with sample data, alone: the page of the template page's sandboxed frame."""
    if not TEMPLATE_KIND.match(kind) or language not in dict(LANGUAGES):
        raise HTTPException(404)
    preview = await services.notifications.get(f"/templates/{kind}/{language}/preview", **organiser.call())
    if not preview.get("html"):
        raise HTTPException(404)
    return HTMLResponse(
        preview["html"],
        headers={"Content-Security-Policy": MESSAGE_CSP, "X-Frame-Options": "SAMEORIGIN"},
    )
