"""The console's stage pages against fake APIs (httpx.MockTransport): declaring a stage sends judging's
DeclareStage and tells its errors beside the fields, open / remind / close call judging, a close refused
for an unbreakable tie shows the tied entries by title and authors and records the chair's order, and
a closed stage's results name entries by title.

`ConsoleApis` and the fixtures here are the fake the other console page tests share."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from .kit import csrf_of, web_client

TOKEN = "the-organisers-token-of-this-test"
C = "7d7c1e7e-0000-4000-8000-000000000001"
S1 = "5a000000-0000-4000-8000-000000000001"
FINAL = "5a000000-0000-4000-8000-000000000002"
J1 = "10000000-0000-4000-8000-000000000001"
J2 = "10000000-0000-4000-8000-000000000002"
E1 = "e0000000-0000-4000-8000-000000000001"
E2 = "e0000000-0000-4000-8000-000000000002"
E3 = "e0000000-0000-4000-8000-000000000003"

DEFINITION = {
    "name": "Заочный тур",
    "kind": "review",
    "criteria": [{"name": "Идея", "description": "", "weight": 1.0, "scale_min": 0, "scale_max": 10}],
    "aggregation": "mean",
    "trim_fraction": 0.1,
    "normalisation_min_scores": None,
    "advancement": {"rule": "top_per_nomination", "n": 2, "minimum": None, "k": None},
    "tie_breaks": ["higher_median", "chair_decision"],
    "assignment": {"mode": "every_juror", "k": None, "cap_per_juror": None, "seed": 0},
    "deadline": "2026-12-25T10:00:00+07:00",
    "blind": False,
    "held_at": None,
    "venue": None,
}


def stage(stage_id: str, status: str, kind: str = "review", **more: Any) -> dict[str, Any]:
    definition = {**DEFINITION, "kind": kind, **more.pop("definition", {})}
    return {
        "id": stage_id,
        "contest_id": C,
        "position": 2 if kind == "final" else 1,
        "name": definition["name"],
        "kind": kind,
        "blind": False,
        "status": status,
        "opened_at": None,
        "closed_at": None,
        "definition": definition,
        "chair_ordering": [],
        "running_order": [],
        "defending_entry_id": None,
        "defended": [],
        **more,
    }


class ConsoleApis:
    """Submissions and judging as the console calls them; `refuse[(method, path)]` answers a problem."""

    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []
        self.refuse: dict[tuple[str, str], httpx.Response] = {}
        self.answers: dict[tuple[str, str], Any] = {}
        self.contest = {
            "id": C,
            "title": "Библиотечный калейдоскоп",
            "status": "submissions_closed",
            "window": {"opens_at": "2026-11-01T00:00:00Z", "closes_at": "2026-12-20T00:00:00Z"},
            "nominations": [{"code": "quest", "title": "Квест"}, {"code": "video", "title": "Видео"}],
            "territories": [{"code": "anzhero", "name": "Анжеро-Судженский ГО", "kind": "city_district"}],
        }
        self.jurors = [
            {
                "id": J1,
                "contest_id": C,
                "name": "Анна Петрова",
                "position": "директор",
                "library": "ЦБС",
                "territory_code": "anzhero",
                "email": "anna@lib.ru",
                "language": "ru",
            },
            {
                "id": J2,
                "contest_id": C,
                "name": "Борис Иванов",
                "position": "",
                "library": "",
                "territory_code": "",
                "email": None,
                "language": "en",
            },
        ]
        self.entries = [
            {
                "id": E1,
                "nomination_code": "quest",
                "title": "Тайны старой Анжерки",
                "revision": 1,
                "withdrawn": False,
            },
            {
                "id": E2,
                "nomination_code": "quest",
                "title": "Книжный дозор",
                "revision": 1,
                "withdrawn": False,
            },
            {
                "id": E3,
                "nomination_code": "video",
                "title": "Читаем вместе",
                "revision": 1,
                "withdrawn": False,
            },
        ]
        self.conflicts = [
            {
                "id": "c1",
                "juror_id": J1,
                "juror_name": "Анна Петрова",
                "entry_id": E1,
                "entry_title": "Тайны старой Анжерки",
                "source": "automatic",
                "reason": "same library as author Мария Котова: ЦБС",
            },
            {
                "id": "c2",
                "juror_id": J2,
                "juror_name": "Борис Иванов",
                "entry_id": E2,
                "entry_title": "Книжный дозор",
                "source": "declared",
                "reason": "мой ученик",
            },
        ]
        self.stages = [stage(S1, "open")]
        self.progress = {
            "complete": False,
            "jurors": [
                {"juror_id": J1, "assigned": 2, "scored": 2, "missing": [], "late": False},
                {"juror_id": J2, "assigned": 3, "scored": 1, "missing": [E2, E3], "late": True},
            ],
            "entries": [
                {"entry_id": E1, "assigned": 1, "scored": 1, "missing_jurors": []},
                {"entry_id": E2, "assigned": 2, "scored": 1, "missing_jurors": [J2]},
                {"entry_id": E3, "assigned": 2, "scored": 1, "missing_jurors": [J2]},
            ],
        }
        self.results = [
            {
                "entry_id": E1,
                "nomination_code": "quest",
                "aggregate": 8.5,
                "rank": 1,
                "advanced": True,
                "place": None,
                "decided_by": "aggregate",
                "reason": "top 2 of quest by aggregate",
                "title": "Тайны старой Анжерки",
                "authors": ["Мария Котова"],
                "library": "ЦБС г. Анжеро-Судженска",
            },
            {
                "entry_id": E2,
                "nomination_code": "quest",
                "aggregate": 6.0,
                "rank": 3,
                "advanced": False,
                "place": None,
                "decided_by": "aggregate",
                "reason": "below the top 2",
                "title": "Книжный дозор",
                "authors": ["Олег Сидоров"],
                "library": "",
            },
        ]
        self.awards: dict[str, Any] = {"places": [], "special_mentions": []}
        self.audit = [
            {
                "sequence": n,
                "at": "2026-12-21T10:00:00Z",
                "actor": "Ирина Соколова",
                "action": "juror_registered",
                "details": {"name": f"Юрий {n}"},
                "hash": f"{n:064x}",
            }
            for n in range(1, 121)
        ]
        self.heads = [
            {
                "stage_id": S1,
                "stage_name": "Заочный тур",
                "closed_at": "2026-12-26T10:00:00Z",
                "audit_head_hash": "ab" * 32,
                "records": 40,
            }
        ]
        self.verification = {"records": 120, "first_broken_sequence": None, "intact": True}
        self.fairness = {
            "stage_name": "Заочный тур",
            "jurors": [
                {"juror_id": J1, "mean_deviation": -1.25, "shared_entries": 2},
                {"juror_id": J2, "mean_deviation": 0.5, "shared_entries": 2},
            ],
            "entries": [
                {"entry_id": E1, "std_dev": 0.4, "juror_count": 2},
                {"entry_id": E2, "std_dev": 2.1, "juror_count": 2},
            ],
            "normalisation": {
                "changes_outcome": False,
                "only_with_normalisation": [],
                "only_without_normalisation": [],
                "note": "",
            },
        }
        self.public_results: list[dict[str, Any]] = []

    def sent(self, method: str, path: str) -> list[Any]:
        """The JSON bodies of the calls made with this method to this path."""
        return [
            json.loads(c.content) if c.content else None
            for c in self.calls
            if c.method == method and c.url.path == path
        ]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        method, path = request.method, request.url.path
        organiser = request.headers.get("authorization") == f"Bearer {TOKEN}"
        if (method, path) in self.refuse:
            return self.refuse[(method, path)]
        if (method, path) in self.answers:
            return httpx.Response(200, json=self.answers[(method, path)])
        public = {
            f"/contests/{C}/entries": self.entries,
            f"/contests/{C}/audit/heads": self.heads,
            f"/contests/{C}/results": self.public_results,
        }
        if (
            method == "GET"
            and path in public
            and (path != f"/contests/{C}/entries" or request.url.host == "judging")
        ):
            return httpx.Response(200, json=public[path])
        if method == "GET" and path == f"/contests/{C}" and request.url.host == "submissions":
            return httpx.Response(200, json=self.contest)
        if not organiser:
            return httpx.Response(401, json={"title": "Authentication required", "status": 401})
        if path == "/channels":
            return httpx.Response(200, json={"installed": [], "enabled": [], "loaded": [], "failures": []})
        found = self.judging(method, path, request)
        if found is not None:
            return found
        return httpx.Response(404, json={"title": "Not found", "status": 404})

    def judging(self, method: str, path: str, request: httpx.Request) -> httpx.Response | None:
        base = f"/contests/{C}"
        ok = lambda body: httpx.Response(200, json=body)  # noqa: E731
        if method == "GET" and path == base + "/jurors":
            return ok(self.jurors)
        if method == "GET" and path == base + "/conflicts":
            return ok(self.conflicts)
        if method == "GET" and path == base + "/stages":
            return ok(self.stages)
        if method == "POST" and path == base + "/stages":
            return httpx.Response(201, json=stage(S1, "declared"))
        if method == "POST" and path == base + "/jurors":
            return httpx.Response(
                201,
                json={
                    **json.loads(request.content),
                    "id": J1,
                    "contest_id": C,
                    "token": "juror-personal-token-xyz",
                },
            )
        if method == "POST" and path == base + "/conflicts":
            return httpx.Response(
                201, json={"id": "c3", "source": "organiser", **json.loads(request.content)}
            )
        if method == "POST" and re.fullmatch(base + r"/jurors/[^/]+/link", path):
            return ok(
                {"id": J1, "token": "new-juror-token", "link": "http://testserver/jury/sign-in?ticket=T2"}
            )
        if method in ("PATCH", "DELETE") and re.fullmatch(base + r"/jurors/[^/]+", path):
            return httpx.Response(204) if method == "DELETE" else ok(self.jurors[0])
        if method == "GET" and path == base + "/audit":
            offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
            return ok(
                {
                    "records": self.audit[offset : offset + limit],
                    "total": len(self.audit),
                    "offset": offset,
                    "limit": limit,
                }
            )
        if method == "GET" and path == base + "/audit/verification":
            return ok(self.verification)
        m = re.fullmatch(base + r"/stages/([^/]+)(/.*)?", path)
        if not m:
            return None
        current = next((s for s in self.stages if s["id"] == m.group(1)), None)
        if current is None:
            return None
        rest = m.group(2) or ""
        if method == "GET" and rest == "":
            return ok(current)
        if method == "GET" and rest == "/progress":
            return ok(self.progress)
        if method == "GET" and rest == "/results":
            return ok(self.results)
        if method == "GET" and rest == "/fairness":
            return ok(self.fairness)
        if method == "GET" and rest == "/awards":
            return ok(self.awards)
        if method == "PUT" and rest == "/awards":
            self.awards = json.loads(request.content)
            return ok(current)
        if method == "POST" and rest == "/reminders":
            return ok({"reminded": [J2]})
        if method in ("POST", "PUT"):
            return ok(current)
        return None


@pytest.fixture
def apis() -> ConsoleApis:
    return ConsoleApis()


@pytest.fixture
async def client(apis: ConsoleApis) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(apis.handle) as browser:
        yield browser


@pytest.fixture
async def organiser(client: httpx.AsyncClient) -> str:
    """Signs the organiser in; the CSRF token for the forms."""
    page = await client.get("/console/sign-in")
    form = {"csrf_token": csrf_of(page.text), "name": "Ирина Соколова", "token": TOKEN, "next": "/console"}
    assert (await client.post("/console/sign-in", data=form)).status_code == 303
    return csrf_of(page.text)


def text_of(html: str) -> str:
    """The page's text with tags dropped and entities of quotes undone (for reading assertions)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#34;", '"').replace("&#39;", "'").split())


STAGE_FORM = {
    "name": "Заочный тур",
    "kind": "review",
    "criterion_rows": "4",
    "criterion-0-name": "Идея",
    "criterion-0-description": "Насколько идея нова",
    "criterion-0-weight": "2",
    "criterion-0-scale_min": "0",
    "criterion-0-scale_max": "10",
    "criterion-1-name": "Исполнение",
    "criterion-1-weight": "0,5",
    "criterion-1-scale_min": "1",
    "criterion-1-scale_max": "5",
    "aggregation": "trimmed_mean",
    "trim_fraction": "0.2",
    "normalisation_min_scores": "5",
    "advancement_rule": "top_per_nomination",
    "advancement_value": "3",
    "tie_break_1": "more_top_marks",
    "tie_break_2": "chair_decision",
    "assignment_mode": "jurors_per_entry",
    "assignment_k": "3",
    "assignment_cap": "10",
    "deadline": "2026-12-25T18:00",
    "blind": "on",
}


async def test_declaring_a_stage_sends_judging_the_declaration_it_takes(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    page = await client.get(f"/console/contests/{C}/stages/new")
    assert page.status_code == 200 and 'aria-current="page"' in page.text
    response = await client.post(
        f"/console/contests/{C}/stages/new", data={**STAGE_FORM, "csrf_token": organiser}
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/console/contests/{C}/stages")
    [body] = apis.sent("POST", f"/contests/{C}/stages")
    assert body == {
        "name": "Заочный тур",
        "kind": "review",
        "criteria": [
            {
                "name": "Идея",
                "description": "Насколько идея нова",
                "weight": 2.0,
                "scale_min": 0.0,
                "scale_max": 10.0,
            },
            {"name": "Исполнение", "description": "", "weight": 0.5, "scale_min": 1.0, "scale_max": 5.0},
        ],
        "aggregation": "trimmed_mean",
        "trim_fraction": 0.2,
        "normalisation_min_scores": 5,
        "advancement": {"rule": "top_per_nomination", "n": 3},
        "tie_breaks": ["more_top_marks", "chair_decision"],
        "assignment": {"mode": "jurors_per_entry", "k": 3, "cap_per_juror": 10},
        "blind": True,
        "deadline": "2026-12-25T18:00:00+07:00",
    }
    call = apis.calls[-1]
    assert unquote(call.headers["x-kaleidoscope-actor"]) == "Ирина Соколова"
    listing = await client.get(f"/console/contests/{C}/stages")
    assert "The stage is declared" in listing.text


async def test_the_stage_form_tells_each_mistake_beside_its_field_and_keeps_what_was_typed(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    form = {
        **STAGE_FORM,
        "csrf_token": organiser,
        "criterion-1-weight": "0",
        "advancement_value": "",
        "tie_break_2": "more_top_marks",
        "assignment_cap": "",
    }
    response = await client.post(f"/console/contests/{C}/stages/new", data=form)
    assert response.status_code == 422
    for field in ("criterion-1-weight", "advancement_value", "tie_break_2", "assignment_cap"):
        assert f'id="{field}-error"' in response.text
        assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', response.text), field
    assert 'value="Исполнение"' in response.text
    assert apis.sent("POST", f"/contests/{C}/stages") == []


async def test_judgings_refusal_of_a_declaration_lands_beside_the_field(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    apis.refuse[("POST", f"/contests/{C}/stages")] = httpx.Response(
        422,
        json={
            "title": "The request is not valid",
            "status": 422,
            "errors": [{"location": ["body", "criteria", 1, "scale_max"], "message": "bad"}],
        },
    )
    form = {
        **STAGE_FORM,
        "csrf_token": organiser,
        "criterion-0-name": "",
        "criterion-0-weight": "",
        "criterion-0-description": "",
        "criterion-3-name": "Оформление",
        "criterion-3-weight": "1",
        "criterion-3-scale_min": "0",
        "criterion-3-scale_max": "10",
    }
    response = await client.post(f"/console/contests/{C}/stages/new", data=form)
    assert response.status_code == 422
    # the body's second criterion is the form's fourth row
    assert 'id="criterion-3-scale_max-error"' in response.text
    apis.refuse[("POST", f"/contests/{C}/stages")] = httpx.Response(
        409, json={"title": "Refused", "status": 409, "detail": "The final is declared; no stage after it."}
    )
    response = await client.post(
        f"/console/contests/{C}/stages/new", data={**STAGE_FORM, "csrf_token": organiser}
    )
    assert response.status_code == 422 and "The final is declared; no stage after it." in response.text


async def test_more_criterion_rows_come_without_javascript(client: httpx.AsyncClient, organiser: str) -> None:
    response = await client.post(
        f"/console/contests/{C}/stages/new", data={**STAGE_FORM, "csrf_token": organiser, "more_rows": "1"}
    )
    assert response.status_code == 200
    assert 'id="criterion-7-name"' in response.text and 'value="Идея"' in response.text


async def test_an_open_stage_shows_who_is_late_and_reminds_them(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    page = await client.get(f"/console/contests/{C}/stages/{S1}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Борис Иванов Late" in text and "1 of 3" in text and "“Книжный дозор”" in text
    response = await client.post(
        f"/console/contests/{C}/stages/{S1}/reminders", data={"csrf_token": organiser}
    )
    assert response.status_code == 303
    assert apis.sent("POST", f"/contests/{C}/stages/{S1}/reminders") == [None]
    assert "A reminder was sent to 1 juror." in (await client.get(response.headers["location"])).text


async def test_opening_a_stage_and_a_refusal_shown_on_the_page(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    apis.stages = [stage(S1, "declared")]
    page = await client.get(f"/console/contests/{C}/stages/{S1}")
    assert "Open the stage" in page.text
    apis.refuse[("POST", f"/contests/{C}/stages/{S1}/open")] = httpx.Response(
        409, json={"title": "Refused", "status": 409, "detail": "Submissions have not closed yet."}
    )
    response = await client.post(f"/console/contests/{C}/stages/{S1}/open", data={"csrf_token": organiser})
    assert response.status_code == 409 and "Submissions have not closed yet." in response.text
    del apis.refuse[("POST", f"/contests/{C}/stages/{S1}/open")]
    response = await client.post(f"/console/contests/{C}/stages/{S1}/open", data={"csrf_token": organiser})
    assert response.status_code == 303
    assert len(apis.sent("POST", f"/contests/{C}/stages/{S1}/open")) == 2


TIE = {
    "title": "Refused",
    "status": 409,
    "detail": "Tie the tie-break chain cannot break where it matters.",
    "tied_entries": [[E1, E2]],
    "where": ["quest: the last advancing place"],
    "tied": [
        {
            "entry_id": E1,
            "title": "Тайны старой Анжерки",
            "authors": ["Мария Котова"],
            "nomination_code": "quest",
            "aggregate": 7.25,
            "median": 7.0,
        },
        {
            "entry_id": E2,
            "title": "Книжный дозор",
            "authors": ["Олег Сидоров", "Ия Ким"],
            "nomination_code": "quest",
            "aggregate": 7.25,
            "median": 7.0,
        },
    ],
}


async def test_a_close_refused_for_a_tie_shows_the_tied_entries_and_the_chair_orders_them(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    apis.refuse[("POST", f"/contests/{C}/stages/{S1}/close")] = httpx.Response(409, json=TIE)
    page = await client.post(f"/console/contests/{C}/stages/{S1}/close", data={"csrf_token": organiser})
    assert page.status_code == 409
    text = text_of(page.text)
    assert "“Тайны старой Анжерки” Мария Котова 7.25 7.00" in text
    assert "“Книжный дозор” Олег Сидоров, Ия Ким 7.25 7.00" in text
    assert "Квест" in text
    tied = re.search(r'name="tied" value="([^"]+)"', page.text)
    assert tied
    form = {
        "csrf_token": csrf_of(page.text),
        "tied": tied.group(1).replace("&#34;", '"'),
        f"position-{E1}": "2",
        f"position-{E2}": "1",
    }
    response = await client.post(f"/console/contests/{C}/stages/{S1}/chair-ordering", data=form)
    assert (response.status_code, response.headers["location"]) == (303, f"/console/contests/{C}/stages/{S1}")
    assert apis.sent("PUT", f"/contests/{C}/stages/{S1}/chair-ordering") == [{"entry_ids": [E2, E1]}]


async def test_two_tied_entries_given_one_place_are_told_beside_the_field(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    apis.refuse[("POST", f"/contests/{C}/stages/{S1}/close")] = httpx.Response(409, json=TIE)
    page = await client.post(f"/console/contests/{C}/stages/{S1}/close", data={"csrf_token": organiser})
    tied = re.search(r'name="tied" value="([^"]+)"', page.text)
    assert tied
    form = {
        "csrf_token": organiser,
        "tied": tied.group(1).replace("&#34;", '"'),
        f"position-{E1}": "1",
        f"position-{E2}": "1",
    }
    response = await client.post(f"/console/contests/{C}/stages/{S1}/chair-ordering", data=form)
    assert response.status_code == 422
    assert f'id="position-{E2}-error"' in response.text and "“Книжный дозор”" in response.text
    assert apis.sent("PUT", f"/contests/{C}/stages/{S1}/chair-ordering") == []


async def test_a_closed_stage_shows_rank_figures_and_reason_by_title(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    response = await client.post(f"/console/contests/{C}/stages/{S1}/close", data={"csrf_token": organiser})
    assert response.status_code == 303
    apis.stages = [stage(S1, "closed")]
    page = await client.get(response.headers["location"])
    text = text_of(page.text)
    assert "The stage is closed" in text
    assert (
        "1 “Тайны старой Анжерки” Мария Котова, ЦБС г. Анжеро-Судженска Квест 8.50 Advanced top 2 of quest"
        in text
    )
    assert "3 “Книжный дозор” Олег Сидоров Квест 6.00 Did not advance below the top 2" in text


async def test_stage_forms_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    for path in (
        "/stages/new",
        f"/stages/{S1}/open",
        f"/stages/{S1}/close",
        f"/stages/{S1}/reminders",
        f"/stages/{S1}/chair-ordering",
    ):
        response = await client.post(
            f"/console/contests/{C}{path}", data={**STAGE_FORM, "csrf_token": "forged"}
        )
        assert response.status_code == 403, path
    assert [c for c in apis.calls if c.method != "GET"] == []


async def test_stage_pages_without_a_session_redirect_to_the_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/stages", "/stages/new", f"/stages/{S1}"):
        response = await client.get(f"/console/contests/{C}{path}")
        assert response.status_code == 303
        assert unquote(response.headers["location"]) == f"/console/sign-in?next=/console/contests/{C}{path}"
    response = await client.post(f"/console/contests/{C}/stages/{S1}/close", data={})
    assert response.status_code in (303, 403)
