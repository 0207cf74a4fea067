"""Submissions closed early by the organisers are not a deadline that passed: the closed page and the
form's refusal say which it was, in Russian and in English (fake APIs: httpx.MockTransport)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from web.entrypoints.public import window_state

from .console.kit import csrf_of, web_client
from .console.test_contests import CONTEST_ID, a_contest

DEADLINE = "2026-12-20T18:00:00+07:00"
EARLY = {"status": "submissions_closed", "submissions_closed_at": "2026-12-01T05:30:00Z"}
AT_DEADLINE = {"status": "submissions_closed", "submissions_closed_at": "2026-12-20T11:00:04Z"}
EARLY_WORDS = {
    "ru": "Организаторы досрочно закрыли приём заявок 1 декабря 2026, 12:30",
    "en": "The organisers closed submissions early, on 1 December 2026, 12:30",
}
DEADLINE_WORDS = {"ru": "Срок прошёл, заявки больше не принимаются.", "en": "The deadline has passed;"}
EARLY_REFUSAL = {
    "ru": "Организаторы досрочно закрыли приём заявок, до окончания срока",
    "en": "The organisers closed submissions early, before the deadline;",
}
DEADLINE_REFUSAL = {"ru": "Срок подачи заявок прошёл.", "en": "The submission deadline has passed."}


class Submissions:
    """Submissions' API as the participant's pages call it: the contest, and an answer to an entry."""

    def __init__(self) -> None:
        self.contest = a_contest()
        self.refusal: httpx.Response | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == f"/contests/{CONTEST_ID}":
            return httpx.Response(200, json=self.contest)
        if request.method == "POST" and path == f"/contests/{CONTEST_ID}/entries" and self.refusal:
            return self.refusal
        return httpx.Response(404, json={"title": "Not found", "status": 404})


@pytest.fixture
def submissions() -> Submissions:
    return Submissions()


@pytest.fixture
async def browser(submissions: Submissions) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(submissions.handle) as client:
        yield client


def test_the_window_state_tells_an_early_close_from_the_deadline() -> None:
    late = datetime(2027, 1, 1, tzinfo=UTC)
    assert window_state(a_contest(**EARLY), late) == "closed_early"
    assert window_state(a_contest(**AT_DEADLINE), late) == "closed"
    assert window_state(a_contest(), late) == "closed", "the deadline passed, not yet closed by the worker"
    assert window_state(
        a_contest(status="results", submissions_closed_at=EARLY["submissions_closed_at"]), late
    ) == ("closed_early")


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("early", [True, False], ids=["closed-early", "deadline-passed"])
async def test_the_closed_page_says_why_entries_are_no_longer_accepted(
    browser: httpx.AsyncClient, submissions: Submissions, language: str, early: bool
) -> None:
    submissions.contest = a_contest(**(EARLY if early else AT_DEADLINE))
    page = await browser.get(f"/contests/{CONTEST_ID}/submit", headers={"accept-language": language})
    assert page.status_code == 200
    text = html.unescape(page.text)
    said, not_said = (EARLY_WORDS, DEADLINE_WORDS) if early else (DEADLINE_WORDS, EARLY_WORDS)
    assert said[language] in text
    assert not_said[language] not in text


def open_window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=9)).isoformat(),
    }


def an_entry(csrf: str) -> dict[str, Any]:
    return {
        "csrf_token": csrf,
        "idempotency_key": "b0c2a3c4-0000-4000-8000-000000000001",
        "action": "send",
        "nomination_code": "service-guide",
        "title": "Рюкзачок знаний",
        "annotation": "",
        "links": "",
        "author_count": "1",
        "authors-0-full_name": "Заводискер Оксана Юрьевна",
        "authors-0-position": "",
        "authors-0-library": "ЦБС г. Белово",
        "authors-0-territory_code": "belovo-city",
        "authors-0-email": "o.zavodisker@example.org",
        "authors-0-language": "ru",
        "consent": "yes",
    }


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("early", [True, False], ids=["closed-early", "deadline-passed"])
async def test_the_forms_refusal_says_why_in_the_visitors_language(
    browser: httpx.AsyncClient, submissions: Submissions, language: str, early: bool
) -> None:
    """The form was opened while entries were accepted and sent after they stopped being."""
    submissions.contest = a_contest(window=open_window())
    headers = {"accept-language": language}
    form = await browser.get(f"/contests/{CONTEST_ID}/submit", headers=headers)
    assert form.status_code == 200 and 'name="nomination_code"' in form.text
    if early:
        detail = "submissions were closed by the organisers on 2026-12-01T12:30:00+07:00, before the deadline"
        title = "Submissions were closed by the organisers"
        submissions.contest = a_contest(window=open_window(), **EARLY)
    else:
        detail = f"the deadline was {DEADLINE}; entries can no longer be submitted"
        title = "The submission deadline has passed"
    submissions.refusal = httpx.Response(
        409,
        json={"type": "about:blank", "title": title, "status": 409, "detail": detail},
        headers={"content-type": "application/problem+json"},
    )
    refused = await browser.post(
        f"/contests/{CONTEST_ID}/submit", data=an_entry(csrf_of(form.text)), headers=headers
    )
    assert refused.status_code == 409
    text = html.unescape(refused.text)
    said, not_said = (EARLY_REFUSAL, DEADLINE_REFUSAL) if early else (DEADLINE_REFUSAL, EARLY_REFUSAL)
    assert said[language] in text
    assert not_said[language] not in text
    assert detail not in text, "the API's English detail is not shown"
    assert 'value="Рюкзачок знаний"' in refused.text, "what was typed is kept"
