"""The console's notifications pages against fake APIs: the delivery log's filters passed to
notifications, "who has not been told", resend (CSRF-checked, back to the same filters), and the
template previews in both languages with the HTML in a sandboxed frame of its own."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx

from . import test_contests as kit
from .test_contests import CONTEST_ID, TOKEN, FakeApis, csrf_of, problem

# the fake APIs and a signed-in console, as the contest pages' tests have them
apis, client, signed_in = kit.apis, kit.client, kit.signed_in
DELIVERY_ID = "d0000000-0000-4000-8000-000000000001"
PAGE = f"/console/contests/{CONTEST_ID}/notifications"


def a_delivery(**changes: Any) -> dict[str, Any]:
    delivery: dict[str, Any] = {
        "id": DELIVERY_ID,
        "event_id": "e0000000-0000-4000-8000-000000000001",
        "event_type": "ContestAmended",
        "kind": "deadline_changed",
        "contest_id": CONTEST_ID,
        "recipient": "anna@library.example",
        "recipient_name": "Анна Берёзова",
        "address": "anna@library.example",
        "language": "ru",
        "channel": "email",
        "subject": "Срок приёма работ изменён",
        "document_ids": [],
        "status": "dead",
        "attempts": 8,
        "last_attempt_at": "2026-12-01T03:00:00Z",
        "next_attempt_at": None,
        "last_error": "550 mailbox unavailable",
        "provider_id": None,
        "created_at": "2026-12-01T02:00:00Z",
        "sent_at": None,
    }
    delivery.update(changes)
    return delivery


def answer_log(apis: FakeApis, deliveries: list[dict[str, Any]]) -> None:
    apis.answer("GET", "/deliveries", httpx.Response(200, json=deliveries))
    apis.answer(
        "GET",
        f"/contests/{CONTEST_ID}/untold",
        httpx.Response(
            200,
            json=[
                {
                    "recipient": "anna@library.example",
                    "event_type": "ContestAmended",
                    "kind": "deadline_changed",
                    "last_status": "dead",
                    "last_error": "550 mailbox unavailable",
                    "delivery_id": DELIVERY_ID,
                }
            ],
        ),
    )
    apis.answer(
        "GET",
        "/templates",
        httpx.Response(
            200,
            json=[
                {"kind": "entry_received", "languages": ["ru", "en"], "variables": []},
                {"kind": "deadline_changed", "languages": ["ru", "en"], "variables": []},
            ],
        ),
    )


async def test_the_notifications_pages_redirect_to_the_sign_in_without_a_session(
    client: httpx.AsyncClient,
) -> None:
    for path in (PAGE, f"{PAGE}/templates"):
        response = await client.get(path)
        assert response.status_code == 303
        assert unquote(response.headers["location"]) == f"/console/sign-in?next={path}"


async def test_the_log_passes_its_filters_and_lists_who_has_not_been_told(
    signed_in: httpx.AsyncClient,
    apis: FakeApis,
) -> None:
    answer_log(apis, [a_delivery()] * 51)
    page = await signed_in.get(
        PAGE,
        params={
            "kind": "deadline_changed",
            "recipient": " Anna ",
            "status": "dead",
            "channel": "email",
            "page": 2,
        },
    )
    assert page.status_code == 200
    listed = apis.last("GET", "/deliveries")
    assert dict(listed.url.params) == {
        "contest_id": CONTEST_ID,
        "kind": "deadline_changed",
        "recipient": "Anna",
        "status": "dead",
        "channel": "email",
        "offset": "50",
        "limit": "51",
    }
    assert listed.headers["authorization"] == f"Bearer {TOKEN}"
    text = page.text
    assert text.count("Анна Берёзова") == 50  # a page of 50; the 51st says there is a next one
    assert 'rel="next"' in text and 'rel="prev"' in text
    assert '<option value="deadline_changed" selected>Deadline moved</option>' in text
    assert '<option value="dead" selected>' in text and '<option value="email" selected>' in text
    assert "550 mailbox unavailable" in text
    assert 'aria-current="page">Notifications</a>' in text
    untold = text.split('id="untold-heading"')[1].split('id="log"')[0]
    assert "anna@library.example" in untold and f"/notifications/{DELIVERY_ID}/resend" in untold


async def test_resend_posts_with_the_csrf_token_and_returns_to_the_same_filters(
    signed_in: httpx.AsyncClient,
    apis: FakeApis,
) -> None:
    answer_log(apis, [a_delivery()])
    apis.answer(
        "POST", f"/deliveries/{DELIVERY_ID}/resend", httpx.Response(202, json=a_delivery(status="pending"))
    )
    page = await signed_in.get(PAGE, params={"status": "dead"})
    resend = f"{PAGE}/{DELIVERY_ID}/resend"

    forged = await signed_in.post(resend, data={"csrf_token": "forged", "back": "status=dead"})
    assert forged.status_code == 403
    assert not apis.called("POST", f"/deliveries/{DELIVERY_ID}/resend")

    back = "status=dead&next=//evil.example"
    response = await signed_in.post(resend, data={"csrf_token": csrf_of(page.text), "back": back})
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?status=dead#log"
    assert apis.called("POST", f"/deliveries/{DELIVERY_ID}/resend")
    assert "queued to be sent again" in (await signed_in.get(PAGE)).text

    apis.answer("POST", f"/deliveries/{DELIVERY_ID}/resend", problem(409, "Delivery is being sent"))
    refused = await signed_in.post(resend, data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 303
    assert "being sent right now" in (await signed_in.get(PAGE)).text


async def test_a_template_is_previewed_in_both_languages_with_its_html_sandboxed(
    signed_in: httpx.AsyncClient,
    apis: FakeApis,
) -> None:
    answer_log(apis, [])
    for language, subject in (("ru", "Срок изменён"), ("en", "The deadline moved")):
        apis.answer(
            "GET",
            f"/templates/deadline_changed/{language}/preview",
            httpx.Response(
                200,
                json={
                    "kind": "deadline_changed",
                    "language": language,
                    "subject": subject,
                    "text": f"{subject}: 25 December",
                    "html": f'<p>{subject}</p><script>alert("x")</script>',
                },
            ),
        )
    page = await signed_in.get(f"{PAGE}/templates", params={"kind": "deadline_changed"})
    assert page.status_code == 200
    assert "Срок изменён: 25 December" in page.text and "The deadline moved: 25 December" in page.text
    frame = f'sandbox="" src="{PAGE}/templates/deadline_changed/ru"'
    assert frame in page.text and frame.replace("/ru", "/en") in page.text
    assert "<script>alert" not in page.text and "srcdoc" not in page.text
    # the frame's page: the message alone, under a sandbox of its own that only the console may frame
    html = await signed_in.get(f"{PAGE}/templates/deadline_changed/ru")
    assert html.status_code == 200
    assert html.text == '<p>Срок изменён</p><script>alert("x")</script>'
    policy = html.headers["content-security-policy"]
    assert policy.startswith("sandbox;") and "script-src" not in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert html.headers["x-frame-options"] == "SAMEORIGIN" and html.headers["cache-control"] == "no-store"
    for wrong in ("deadline_changed/de", "Deadline_changed/ru", "a..b/ru"):  # not asked of notifications
        apis.calls.clear()
        assert (await signed_in.get(f"{PAGE}/templates/{wrong}")).status_code == 404
        assert not [c for c in apis.calls if c.url.path.startswith("/templates/")], wrong
    assert '<section class="card preview" lang="ru"' in page.text
    # an unknown kind previews the first one rather than asking notifications for it
    apis.answer(
        "GET",
        "/templates/entry_received/ru/preview",
        httpx.Response(200, json={"subject": "s", "text": "t", "html": None}),
    )
    apis.answer(
        "GET",
        "/templates/entry_received/en/preview",
        httpx.Response(200, json={"subject": "s", "text": "t", "html": None}),
    )
    other = await signed_in.get(f"{PAGE}/templates", params={"kind": "../../channels"})
    assert other.status_code == 200
    assert apis.last("GET", "/templates/entry_received/en/preview")
    assert "<iframe" not in other.text  # a message without HTML has no frame, and its frame's page is a 404
    assert (await signed_in.get(f"{PAGE}/templates/entry_received/en")).status_code == 404
