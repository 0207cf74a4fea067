"""The juror's pages against a fake judging (httpx.MockTransport): signing in, the score sheet, refusals,
recusal and the CSRF check."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from web.adapters.api import ServiceApi, Services
from web.main import create_app
from web.settings import WebSettings

CONTEST = str(uuid.uuid4())
STAGE = str(uuid.uuid4())
ENTRY = str(uuid.uuid4())
OTHER = str(uuid.uuid4())
TICKET = "ticket-of-anna"


class FakeJudging:
    """Judging as the web front sees it: one juror, one open review stage, two entries."""

    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []
        self.puts: list[dict[str, Any]] = []
        self.recusals: list[dict[str, Any]] = []
        self.refuse_score: tuple[int, str, str] | None = None
        self.score: dict[str, Any] | None = None
        self.stage_changes: dict[str, Any] = {}

    def stage(self) -> dict[str, Any]:
        return {
            "id": STAGE,
            "position": 1,
            "name": "Review",
            "kind": "review",
            "status": "open",
            "blind": True,
            "deadline": "2026-12-20T18:00:00+00:00",
            "criteria": [
                {"name": "Idea", "description": "How new it is", "weight": 2, "scale_min": 0, "scale_max": 5},
                {
                    "name": "Craft",
                    "description": "How well made",
                    "weight": 1,
                    "scale_min": 1,
                    "scale_max": 3,
                },
            ],
            "assigned": 2,
            "scored": 1 if self.score else 0,
            "scoring_allowed": True,
            "scoring_note": None,
            "scorable_entry_ids": [ENTRY, OTHER],
            "defending_entry_id": None,
            "defended_entry_ids": [],
            **self.stage_changes,
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if request.headers.get("authorization") != f"Bearer {TICKET}":
            return problem(401, "Authentication required", "This sign-in link is not valid or has expired.")
        path = request.url.path
        base = f"/contests/{CONTEST}/stages/{STAGE}/entries/{ENTRY}"
        if not path.startswith(f"/contests/{CONTEST}/"):
            return problem(404, "Not found", "No contest is known to you.")
        if path == f"/contests/{CONTEST}/me":
            return httpx.Response(
                200,
                json={
                    "id": str(uuid.uuid4()),
                    "name": "Anna Petrova",
                    "position": "Librarian",
                    "library": "Central",
                },
            )
        if path == f"/contests/{CONTEST}/my-stages":
            return httpx.Response(200, json=[self.stage()])
        if path == f"/contests/{CONTEST}/stages/{STAGE}/my-entries":
            return httpx.Response(
                200,
                json=[
                    {
                        "id": ENTRY,
                        "nomination_code": "video",
                        "title": "River stories",
                        "authors": None,
                        "scored": bool(self.score),
                    },
                    {
                        "id": OTHER,
                        "nomination_code": "video",
                        "title": "Old town",
                        "authors": None,
                        "scored": False,
                    },
                ],
            )
        if path in (base, base.replace(ENTRY, OTHER)):
            return httpx.Response(
                200,
                json={
                    "id": path.rsplit("/", 1)[1],
                    "stage_id": STAGE,
                    "nomination_code": "video",
                    "title": "River stories",
                    "annotation": "A film about the river.",
                    "links": ["https://example.org/film"],
                    "authors": None,
                    "attachments": [
                        {
                            "key": "e/1/film.pdf",
                            "filename": "film.pdf",
                            "media_type": "application/pdf",
                            "size_bytes": 2048,
                            "grant": "fresh-grant",
                        }
                    ],
                    "scored": bool(self.score),
                    "withdrawn": False,
                },
            )
        if path == f"{base}/my-score" and request.method == "GET":
            return (
                httpx.Response(200, json=self.score)
                if self.score
                else problem(404, "Not found", "Not scored.")
            )
        if path == f"{base}/my-score" and request.method == "PUT":
            body = json.loads(request.content)
            self.puts.append(body)
            if self.refuse_score:
                return problem(*self.refuse_score)
            self.score = {"marks": body["marks"], "revision": 1, "scored_at": "2026-12-10T10:00:00+00:00"}
            return httpx.Response(200, json=self.score)
        if path == f"/contests/{CONTEST}/recusals" and request.method == "POST":
            self.recusals.append(json.loads(request.content))
            return httpx.Response(201, json={"id": str(uuid.uuid4())})
        return problem(404, "Not found", "No such route.")


def problem(status: int, title: str, detail: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"status": status, "title": title, "detail": detail},
        headers={"content-type": "application/problem+json"},
    )


def files_handler(seen: list[httpx.Request]) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/contests/{CONTEST}":
            return httpx.Response(
                200, json={"id": CONTEST, "nominations": [{"code": "video", "title": "Video stories"}]}
            )
        seen.append(request)
        return httpx.Response(200, content=b"%PDF-1.7 film", headers={"content-type": "application/pdf"})

    return handle


@pytest.fixture
def judging() -> FakeJudging:
    return FakeJudging()


@pytest.fixture
def file_requests() -> list[httpx.Request]:
    return []


@pytest.fixture
async def client(
    judging: FakeJudging, file_requests: list[httpx.Request]
) -> AsyncIterator[httpx.AsyncClient]:
    services = Services(
        submissions=ServiceApi(
            "submissions",
            "http://submissions",
            5,
            transport=httpx.MockTransport(files_handler(file_requests)),
        ),
        judging=ServiceApi("judging", "http://judging", 5, transport=httpx.MockTransport(judging.handle)),
        notifications=ServiceApi(
            "notifications",
            "http://notifications",
            5,
            transport=httpx.MockTransport(lambda r: httpx.Response(404)),
        ),
    )
    app = create_app(WebSettings(environment="test", log_format="console"), services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers={"accept-language": "en"}
    ) as browser:
        yield browser
    await app.state.hall_feeds.close()
    await services.close()


async def signed_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/jury/sign-in", params={"ticket": TICKET, "contest": CONTEST})
    assert response.status_code == 303


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


ENTRY_PAGE = f"/jury/{CONTEST}/stages/{STAGE}/entries/{ENTRY}"


async def test_sign_in_keeps_the_ticket_in_the_session_and_drops_it_from_the_address(
    client: httpx.AsyncClient, judging: FakeJudging
) -> None:
    response = await client.get("/jury/sign-in", params={"ticket": TICKET, "contest": CONTEST})

    assert response.status_code == 303
    assert response.headers["location"] == f"/jury/{CONTEST}"
    assert TICKET not in response.headers["location"]
    assert judging.calls[-1].url.path == f"/contests/{CONTEST}/me"
    home = await client.get(f"/jury/{CONTEST}")
    assert home.status_code == 200
    assert "Anna Petrova" in home.text
    assert "0 of 2 scored" in home.text
    assert TICKET not in home.text


async def test_a_wrong_ticket_shows_the_link_no_longer_works_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/jury/sign-in", params={"ticket": "forged", "contest": CONTEST})

    assert response.status_code == 401
    assert "This link no longer works" in response.text
    assert (await client.get(f"/jury/{CONTEST}")).status_code == 404


async def test_without_a_session_for_the_contest_every_jury_page_is_not_found(
    client: httpx.AsyncClient, judging: FakeJudging
) -> None:
    for path in (
        f"/jury/{CONTEST}",
        f"/jury/{CONTEST}/stages/{STAGE}",
        ENTRY_PAGE,
        f"{ENTRY_PAGE}/files/e/1/film.pdf",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text
    assert judging.calls == []


async def test_a_pasted_personal_token_signs_in_too(client: httpx.AsyncClient) -> None:
    form = await client.get("/jury/sign-in")
    response = await client.post(
        "/jury/sign-in", data={"csrf_token": csrf_of(form.text), "token": TICKET, "contest": CONTEST}
    )

    assert response.status_code == 303
    assert (await client.get(response.headers["location"])).status_code == 200


async def test_the_stage_lists_my_entries_with_what_is_scored(client: httpx.AsyncClient) -> None:
    await signed_in(client)
    page = await client.get(f"/jury/{CONTEST}/stages/{STAGE}")

    assert page.status_code == 200
    assert "River stories" in page.text and "Old town" in page.text
    assert "Not scored" in page.text
    assert "Video stories" in page.text  # the nomination's name, not its code


async def test_the_entry_page_shows_the_content_and_a_sheet_with_each_criterion_scale(
    client: httpx.AsyncClient,
) -> None:
    await signed_in(client)
    page = await client.get(ENTRY_PAGE)

    assert page.status_code == 200
    assert "A film about the river." in page.text
    assert "How new it is" in page.text
    assert page.text.count('name="mark-0"') == 6  # 0..5
    assert page.text.count('name="mark-1"') == 3  # 1..3
    assert f"{ENTRY_PAGE}/files/e/1/film.pdf" in page.text


async def test_submitting_the_sheet_puts_the_marks_and_says_score_saved(
    client: httpx.AsyncClient, judging: FakeJudging
) -> None:
    await signed_in(client)
    page = await client.get(ENTRY_PAGE)

    response = await client.post(
        f"{ENTRY_PAGE}/score", data={"csrf_token": csrf_of(page.text), "mark-0": "4", "mark-1": "3"}
    )

    assert response.status_code == 303
    assert response.headers["location"] == ENTRY_PAGE
    assert judging.puts == [{"marks": {"Idea": 4, "Craft": 3}}]
    after = await client.get(ENTRY_PAGE)
    assert "Score saved" in after.text
    assert 'value="4" data-criterion="Idea" checked' in after.text
    assert "Score saved" not in (await client.get(ENTRY_PAGE)).text  # shown once


@pytest.mark.parametrize(
    ("refusal", "message"),
    [
        (
            (409, "Not possible now", "Stage 'Review' is closed: scores are taken only while it is open."),
            "This stage is closed: scores are no longer taken.",
        ),
        (
            (
                409,
                "Not possible now",
                "Stage 'Review' stopped taking scores at its deadline, 2026-12-20 (server time).",
            ),
            "The deadline for scores in this stage has passed",
        ),
        (
            (
                403,
                "Conflict of interest",
                "Juror 1 has a conflict of interest with entry 2 and cannot score it.",
            ),
            "You have a conflict of interest with this entry",
        ),
        (
            (409, "Not possible now", "Something judging has never said before."),
            "Something judging has never said before.",
        ),
    ],
)
async def test_a_refused_score_is_explained_beside_the_form_with_the_marks_kept(
    client: httpx.AsyncClient, judging: FakeJudging, refusal: tuple[int, str, str], message: str
) -> None:
    await signed_in(client)
    judging.refuse_score = refusal
    page = await client.get(ENTRY_PAGE)

    response = await client.post(
        f"{ENTRY_PAGE}/score", data={"csrf_token": csrf_of(page.text), "mark-0": "2", "mark-1": "1"}
    )

    assert response.status_code == refusal[0]
    assert message in response.text
    form = response.text[response.text.index('id="score-sheet"') :]
    assert message in form[: form.index('name="mark-0"')]  # beside the form, above the marks
    assert 'value="2" data-criterion="Idea" checked' in response.text
    assert 'value="1" data-criterion="Craft" checked' in response.text


async def test_in_a_final_the_sheet_opens_only_for_an_entry_defending_or_defended(
    client: httpx.AsyncClient, judging: FakeJudging
) -> None:
    await signed_in(client)
    judging.stage_changes = {"kind": "final", "defending_entry_id": OTHER, "scorable_entry_ids": [OTHER]}

    waiting = await client.get(ENTRY_PAGE)
    defending = await client.get(f"/jury/{CONTEST}/stages/{STAGE}/entries/{OTHER}")

    assert 'class="sheet-body" disabled' in waiting.text
    assert "This entry has not defended yet" in waiting.text
    assert "Now defending:" in waiting.text and "Old town" in waiting.text
    assert 'class="sheet-body" disabled' not in defending.text


async def test_a_sheet_missing_a_mark_is_not_sent(client: httpx.AsyncClient, judging: FakeJudging) -> None:
    await signed_in(client)
    page = await client.get(ENTRY_PAGE)

    response = await client.post(
        f"{ENTRY_PAGE}/score", data={"csrf_token": csrf_of(page.text), "mark-0": "2"}
    )

    assert response.status_code == 422
    assert "Choose a mark for “Craft”" in response.text
    assert judging.puts == []


async def test_a_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, judging: FakeJudging
) -> None:
    await signed_in(client)
    await client.get(ENTRY_PAGE)

    score = await client.post(f"{ENTRY_PAGE}/score", data={"mark-0": "4", "mark-1": "3"})
    recusal = await client.post(f"{ENTRY_PAGE}/recusal", data={"reason": "My sister made it"})
    token = await client.post("/jury/sign-in", data={"token": TICKET, "contest": CONTEST})

    assert [score.status_code, recusal.status_code, token.status_code] == [403, 403, 403]
    assert "The form has expired" in score.text
    assert judging.puts == [] and judging.recusals == []


async def test_recusal_sends_the_reason_and_goes_back_to_the_list(
    client: httpx.AsyncClient, judging: FakeJudging
) -> None:
    await signed_in(client)
    page = await client.get(ENTRY_PAGE)

    response = await client.post(
        f"{ENTRY_PAGE}/recusal", data={"csrf_token": csrf_of(page.text), "reason": "My sister made it"}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/jury/{CONTEST}/stages/{STAGE}"
    assert judging.recusals == [{"entry_id": ENTRY, "reason": "My sister made it"}]
    assert (
        "You have withdrawn from judging this entry" in (await client.get(response.headers["location"])).text
    )


async def test_a_file_is_streamed_from_submissions_with_a_fresh_grant(
    client: httpx.AsyncClient, file_requests: list[httpx.Request]
) -> None:
    await signed_in(client)

    response = await client.get(f"{ENTRY_PAGE}/files/e/1/film.pdf")

    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 film"
    assert response.headers["content-disposition"].startswith("inline")
    upstream = file_requests[-1]
    assert upstream.url.path == f"/entries/{ENTRY}/attachments/e/1/film.pdf"
    assert upstream.url.params["grant"] == "fresh-grant"
    assert upstream.url.params["inline"] == "1"
    download = await client.get(f"{ENTRY_PAGE}/files/e/1/film.pdf", params={"download": "1"})
    assert download.headers["content-disposition"].startswith("attachment")
