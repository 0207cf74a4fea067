"""The console's contest pages against fake APIs (httpx.MockTransport): the contest form (rows added
and removed without JavaScript, the body POST /contests and PATCH take, the API's refusals beside their
fields), the overview (publish, move the deadline, close early with a confirmation), CSRF and sign-in.

`FakeApis` and the `client`/`signed_in` fixtures are shared with the entries and notifications tests."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from .kit import csrf_of, web_client

TOKEN = "the-organisers-token-of-the-console-tests"
CONTEST_ID = "7d7c1e7e-0000-4000-8000-000000000001"
Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


def a_contest(**changes: Any) -> dict[str, Any]:
    contest: dict[str, Any] = {
        "id": CONTEST_ID,
        "title": "Библиотечный калейдоскоп",
        "description": "Конкурс проектов библиотек Кузбасса",
        "organisers": [{"name": "Научная библиотека им. Федорова", "email": "contest@library.example"}],
        "contact": "+7 3842 44-18-68",
        "nominations": [
            {
                "code": "service-guide",
                "title": "Путеводитель по услугам",
                "description": "Буклеты",
                "title_en": "A guide to services",
                "description_en": "Booklets",
            },
            {"code": "quest", "title": "Квест", "description": "", "title_en": "", "description_en": ""},
        ],
        "territories": [
            {"code": "belovo-city", "name": "Беловский городской округ", "kind": "city_district"},
            {"code": "tisul", "name": "Тисульский муниципальный округ", "kind": "municipal_district"},
        ],
        "window": {"opens_at": "2026-11-01T00:00:00+07:00", "closes_at": "2026-12-20T18:00:00+07:00"},
        "rules": {
            "max_entries_per_author_per_nomination": 1,
            "attachments": {
                "allowed_media_types": ["application/pdf", "image/png"],
                "max_size_bytes": 20971520,
            },
            "consent_required": True,
            "consent_text": "Согласие на обработку персональных данных.",
            "documents": {"full_title": "", "signatories": [{"name": "И. Соколова", "position": "Директор"}]},
        },
        "time_zone": "Asia/Novokuznetsk",
        "status": "published",
        "published_at": "2026-10-20T00:00:00Z",
        "submissions_closed_at": None,
        "revision": 1,
    }
    contest.update(changes)
    return contest


class FakeApis:
    """The three services behind one MockTransport: answers by (method, path), every call recorded."""

    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []
        self.answers: dict[tuple[str, str], Answer] = {
            ("GET", "/channels"): httpx.Response(
                200, json={"installed": ["email"], "enabled": ["email"], "loaded": ["email"], "failures": []}
            ),
            ("GET", f"/contests/{CONTEST_ID}"): httpx.Response(200, json=a_contest()),
        }

    def answer(self, method: str, path: str, response: Answer) -> None:
        self.answers[(method, path)] = response

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"title": "Authentication required", "status": 401})
        found = self.answers.get((request.method, request.url.path))
        if found is None:
            return httpx.Response(404, json={"title": "Not found", "status": 404})
        return found(request) if callable(found) else found

    def last(self, method: str, path: str) -> httpx.Request:
        matching = [c for c in self.calls if c.method == method and c.url.path == path]
        assert matching, f"no {method} {path} among {[(c.method, c.url.path) for c in self.calls]}"
        return matching[-1]

    def sent(self, method: str, path: str) -> Any:
        return json.loads(self.last(method, path).content)

    def called(self, method: str, path: str) -> bool:
        return any(c.method == method and c.url.path == path for c in self.calls)


def problem(status: int, title: str, detail: str = "", **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"status": status, "title": title, "detail": detail, **extra})


@pytest.fixture
def apis() -> FakeApis:
    return FakeApis()


@pytest.fixture
async def client(apis: FakeApis) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(apis.handle) as browser:
        yield browser


@pytest.fixture
async def signed_in(client: httpx.AsyncClient) -> httpx.AsyncClient:
    page = await client.get("/console/sign-in")
    form = {"csrf_token": csrf_of(page.text), "name": "Ирина Соколова", "token": TOKEN, "next": "/console"}
    assert (await client.post("/console/sign-in", data=form)).status_code == 303
    return client


async def form_of(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    """The form on a page as a browser would send it: every input's value, ticked boxes only."""
    page = (await client.get(path)).text
    data: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        text = value.group(1).replace("&#34;", '"').replace("&amp;", "&") if value else ""
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                data.setdefault(name.group(1), []).append(text)
            continue
        data[name.group(1)] = text
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        data[name] = text
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen.group(1) if chosen else ""
    return data


def new_contest_form(csrf: str) -> dict[str, Any]:
    return {
        "csrf_token": csrf,
        "title": "Библиотечный калейдоскоп",
        "description": "",
        "contact": "",
        "full_title": "",
        "nominations-rows": "3",
        "nominations-0-code": "service-guide",
        "nominations-0-title": "Путеводитель по услугам",
        "nominations-0-description": "",
        "nominations-1-code": "",
        "nominations-1-title": "",
        "nominations-2-code": "quest",
        "nominations-2-title": "Квест",
        "territories-rows": "1",
        "territories-0-code": "belovo-city",
        "territories-0-name": "Беловский городской округ",
        "territories-0-kind": "city_district",
        "organisers-rows": "1",
        "organisers-0-name": "Научная библиотека",
        "organisers-0-email": "",
        "signatories-rows": "3",
        "signatories-0-name": "И. Соколова",
        "signatories-0-position": "Директор",
        "time_zone": "Asia/Novokuznetsk",
        "opens_date": "2026-11-01",
        "opens_time": "00:00",
        "closes_date": "2026-12-20",
        "closes_time": "18:00",
        "max_entries": "2",
        "max_size_mb": "15",
        "media_types": ["application/pdf", "image/jpeg"],
        "consent_required": "1",
        "conflict_rules": ["same_library"],
    }


# --- creating ----------------------------------------------------------------------------------------


async def test_the_contest_pages_redirect_to_the_sign_in_without_a_session(client: httpx.AsyncClient) -> None:
    for path in (
        "/console/contests/new",
        f"/console/contests/{CONTEST_ID}",
        f"/console/contests/{CONTEST_ID}/edit",
    ):
        response = await client.get(path)
        assert response.status_code == 303
        assert unquote(response.headers["location"]) == f"/console/sign-in?next={path}"


async def test_a_new_contest_is_posted_as_submissions_takes_it_with_blank_rows_left_out(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    page = await signed_in.get("/console/contests/new")
    assert page.status_code == 200
    assert 'for="nominations-0-code"' in page.text and 'name="nominations-rows" value="3"' in page.text
    apis.answer("POST", "/contests", httpx.Response(201, json=a_contest(status="draft")))

    response = await signed_in.post("/console/contests/new", data=new_contest_form(csrf_of(page.text)))
    assert (response.status_code, response.headers["location"]) == (303, f"/console/contests/{CONTEST_ID}")
    body = apis.sent("POST", "/contests")
    assert [n["code"] for n in body["nominations"]] == ["service-guide", "quest"]
    assert body["territories"] == [
        {"code": "belovo-city", "name": "Беловский городской округ", "kind": "city_district"}
    ]
    assert body["organisers"] == [{"name": "Научная библиотека"}]
    assert body["window"] == {
        "opens_at": "2026-11-01T00:00:00+07:00",
        "closes_at": "2026-12-20T18:00:00+07:00",
    }
    assert body["rules"] == {
        "max_entries_per_author_per_nomination": 2,
        "attachments": {
            "allowed_media_types": ["application/pdf", "image/jpeg"],
            "max_size_bytes": 15 * 1024 * 1024,
        },
        "consent_required": True,
        "consent_text": "",
        "documents": {"full_title": "", "signatories": [{"name": "И. Соколова", "position": "Директор"}]},
        "conflict_rules": ["same_library"],
    }
    assert body["time_zone"] == "Asia/Novokuznetsk"
    assert unquote(apis.last("POST", "/contests").headers["x-kaleidoscope-actor"]) == "Ирина Соколова"
    overview = await signed_in.get(response.headers["location"])
    assert "The contest is saved as a draft" in overview.text


async def test_add_more_gives_blank_rows_and_remove_drops_a_row_without_saving(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    page = await signed_in.get("/console/contests/new")
    form = new_contest_form(csrf_of(page.text)) | {"add": "nominations", "nominations-0-remove": "1"}
    response = await signed_in.post("/console/contests/new", data=form)
    assert response.status_code == 200
    assert not apis.called("POST", "/contests")
    # row 0 removed, rows 1–2 kept, three blank rows added
    assert 'name="nominations-rows" value="5"' in response.text
    assert 'name="nominations-1-code" type="text" value="quest"' in response.text
    assert 'value="service-guide"' not in response.text
    assert "Библиотечный калейдоскоп" in response.text


async def test_mistakes_are_told_beside_their_fields_before_anything_is_sent(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    page = await signed_in.get("/console/contests/new")
    form = new_contest_form(csrf_of(page.text)) | {
        "title": "",
        "nominations-2-code": "Квест",
        "territories-0-kind": "",
        "closes_date": "2026-10-01",
        "media_types": [],
        "max_size_mb": "0",
    }
    response = await signed_in.post("/console/contests/new", data=form)
    assert response.status_code == 422
    assert not apis.called("POST", "/contests")
    for field in (
        "title",
        "nominations-2-code",
        "territories-0-kind",
        "closes_date",
        "media_types",
        "max_size_mb",
    ):
        assert f'id="{field}-error"' in response.text, field
    assert 'aria-describedby="nominations-2-code-error" aria-invalid="true"' in response.text
    assert "Use lower-case latin letters" in response.text
    assert 'value="Квест"' in response.text  # what was typed is kept


async def test_the_apis_422_is_told_beside_the_field_of_the_row_it_names(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    refusal = problem(
        422,
        "Validation failed",
        errors=[
            {
                "location": ["body", "nominations", 1, "title"],
                "message": "too long",
                "type": "string_too_long",
            },
            {"location": ["body", "organisers", 0, "email"], "message": "bad", "type": "value_error"},
        ],
    )
    apis.answer("POST", "/contests", refusal)
    page = await signed_in.get("/console/contests/new", headers={"accept-language": "ru"})
    response = await signed_in.post(
        "/console/contests/new", data=new_contest_form(csrf_of(page.text)), headers={"accept-language": "ru"}
    )
    assert response.status_code == 422
    # the API's second nomination is the form's third row (the blank second row was left out)
    assert 'id="nominations-2-title-error"' in response.text
    assert 'id="organisers-0-email-error"' in response.text
    assert "Введите адрес электронной почты" in response.text


async def test_a_form_without_its_csrf_token_is_refused(signed_in: httpx.AsyncClient, apis: FakeApis) -> None:
    form = new_contest_form("forged")
    assert (await signed_in.post("/console/contests/new", data=form)).status_code == 403
    for path in ("edit", "publish", "deadline", "close"):
        response = await signed_in.post(f"/console/contests/{CONTEST_ID}/{path}", data={"confirm": "yes"})
        assert response.status_code == 403, path
    assert not [c for c in apis.calls if c.method != "GET"]


# --- editing -----------------------------------------------------------------------------------------


async def test_editing_sends_only_what_changed(signed_in: httpx.AsyncClient, apis: FakeApis) -> None:
    apis.answer("PATCH", f"/contests/{CONTEST_ID}", httpx.Response(200, json=a_contest(revision=2)))
    form = await form_of(signed_in, f"/console/contests/{CONTEST_ID}/edit")
    assert form["closes_date"] == "2026-12-20" and form["closes_time"] == "18:00"
    assert form["time_zone"] == "Asia/Novokuznetsk"
    assert form["nominations-1-code"] == "quest" and form["nominations-2-code"] == ""
    unchanged = await signed_in.post(f"/console/contests/{CONTEST_ID}/edit", data=form)
    assert unchanged.status_code == 303
    assert not apis.called("PATCH", f"/contests/{CONTEST_ID}")

    form |= {"nominations-1-title": "Квест по библиотеке", "signatories-1-name": "П. Петров"}
    response = await signed_in.post(f"/console/contests/{CONTEST_ID}/edit", data=form)
    assert response.status_code == 303
    sent = apis.sent("PATCH", f"/contests/{CONTEST_ID}")
    assert set(sent) == {"nominations", "rules"}
    assert sent["nominations"][1]["title"] == "Квест по библиотеке"
    assert sent["rules"]["documents"]["signatories"][1] == {"name": "П. Петров", "position": ""}


async def test_a_nomination_with_entries_is_told_beside_the_nominations_with_what_blocks_it(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    apis.answer(
        "PATCH",
        f"/contests/{CONTEST_ID}",
        problem(409, "Entries are in it", "…", blocking=[{"nomination_code": "quest", "entries": 3}]),
    )
    form = await form_of(signed_in, f"/console/contests/{CONTEST_ID}/edit")
    response = await signed_in.post(
        f"/console/contests/{CONTEST_ID}/edit", data=form | {"nominations-1-remove": "1"}
    )
    assert response.status_code == 422
    error = re.search(r'<p class="field-error" id="nominations-error">(.*?)</p>', response.text, re.S)
    assert error and "quest (3 entries)" in error.group(1)
    assert '<a href="#nominations">' in response.text


# --- the overview ------------------------------------------------------------------------------------


async def test_the_overview_shows_the_status_and_deadline_in_the_contests_zone(
    signed_in: httpx.AsyncClient,
) -> None:
    page = await signed_in.get(f"/console/contests/{CONTEST_ID}", headers={"accept-language": "ru"})
    assert page.status_code == 200
    assert "Приём работ открыт" in page.text
    assert "20 декабря 2026, 18:00" in page.text
    assert 'aria-current="page">Конкурс</a>' in page.text
    assert 'name="deadline_date" type="date" value="2026-12-20"' in page.text


async def test_publishing_a_draft(signed_in: httpx.AsyncClient, apis: FakeApis) -> None:
    apis.answer("GET", f"/contests/{CONTEST_ID}", httpx.Response(200, json=a_contest(status="draft")))
    apis.answer("POST", f"/contests/{CONTEST_ID}/publish", httpx.Response(200, json=a_contest()))
    page = await signed_in.get(f"/console/contests/{CONTEST_ID}")
    assert "Publish the contest" in page.text and "Move the deadline" not in page.text
    response = await signed_in.post(
        f"/console/contests/{CONTEST_ID}/publish", data={"csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 303
    assert apis.called("POST", f"/contests/{CONTEST_ID}/publish")

    apis.answer("POST", f"/contests/{CONTEST_ID}/publish", problem(422, "Deadline in the past"))
    refused = await signed_in.post(
        f"/console/contests/{CONTEST_ID}/publish", data={"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 422 and 'id="publish-error"' in refused.text


async def test_moving_the_deadline_sends_the_moment_in_the_contests_zone_and_the_reason(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    apis.answer("POST", f"/contests/{CONTEST_ID}/deadline", httpx.Response(200, json=a_contest(revision=2)))
    page = await signed_in.get(f"/console/contests/{CONTEST_ID}")
    later = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    form = {
        "csrf_token": csrf_of(page.text),
        "deadline_date": later,
        "deadline_time": "12:30",
        "deadline_reason": "Просьба библиотек",
    }
    response = await signed_in.post(f"/console/contests/{CONTEST_ID}/deadline", data=form)
    assert response.status_code == 303
    assert apis.sent("POST", f"/contests/{CONTEST_ID}/deadline") == {
        "submissions_close_at": f"{later}T12:30:00+07:00",
        "reason": "Просьба библиотек",
    }
    assert "participants are being told" in (await signed_in.get(response.headers["location"])).text


async def test_a_deadline_in_the_past_is_told_beside_the_field(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    page = await signed_in.get(f"/console/contests/{CONTEST_ID}", headers={"accept-language": "ru"})
    form = {
        "csrf_token": csrf_of(page.text),
        "deadline_date": "2020-01-01",
        "deadline_time": "10:00",
        "deadline_reason": "",
    }
    response = await signed_in.post(
        f"/console/contests/{CONTEST_ID}/deadline", data=form, headers={"accept-language": "ru"}
    )
    assert response.status_code == 422
    assert not apis.called("POST", f"/contests/{CONTEST_ID}/deadline")
    assert 'id="deadline_date-error"' in response.text and 'id="deadline_reason-error"' in response.text
    assert 'value="2020-01-01"' in response.text

    # the service's own refusal (its clock is the judge) lands beside the same field
    apis.answer("POST", f"/contests/{CONTEST_ID}/deadline", problem(422, "Deadline in the past"))
    later = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    form |= {"deadline_date": later, "deadline_reason": "Причина"}
    response = await signed_in.post(f"/console/contests/{CONTEST_ID}/deadline", data=form)
    assert response.status_code == 422 and 'id="deadline_date-error"' in response.text


async def test_closing_early_asks_to_confirm_first(signed_in: httpx.AsyncClient, apis: FakeApis) -> None:
    apis.answer(
        "POST",
        f"/contests/{CONTEST_ID}/close",
        httpx.Response(
            200,
            json={
                "contest_id": CONTEST_ID,
                "closed_at": "2026-12-01T00:00:00Z",
                "closed_by": "organiser",
                "entry_count": 12,
                "entry_ids": [],
            },
        ),
    )
    confirm = await signed_in.get(f"/console/contests/{CONTEST_ID}/close")
    assert confirm.status_code == 200 and "Yes, close submissions now" in confirm.text
    unconfirmed = await signed_in.post(
        f"/console/contests/{CONTEST_ID}/close", data={"csrf_token": csrf_of(confirm.text)}
    )
    assert unconfirmed.status_code == 303 and not apis.called("POST", f"/contests/{CONTEST_ID}/close")
    response = await signed_in.post(
        f"/console/contests/{CONTEST_ID}/close", data={"csrf_token": csrf_of(confirm.text), "confirm": "yes"}
    )
    assert response.status_code == 303
    assert "12 entries are in the final list" in (await signed_in.get(response.headers["location"])).text


# --- English titles, the consent text, the time zone -------------------------------------------------


async def test_a_new_contest_sends_english_titles_the_consent_text_and_the_chosen_zone(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    page = await signed_in.get("/console/contests/new")
    assert 'name="nominations-0-title_en"' in page.text and 'name="nominations-0-description_en"' in page.text
    assert '<textarea id="consent_text" name="consent_text"' in page.text
    apis.answer("POST", "/contests", httpx.Response(201, json=a_contest(status="draft")))
    form = new_contest_form(csrf_of(page.text)) | {
        "nominations-0-title_en": "A guide to services",
        "nominations-0-description_en": "Booklets and maps",
        "consent_text": "Авторы согласны на обработку их персональных данных.",
        "time_zone": "Europe/Moscow",
    }
    response = await signed_in.post("/console/contests/new", data=form)
    assert response.status_code == 303, response.text
    body = apis.sent("POST", "/contests")
    assert body["nominations"][0] == {
        "code": "service-guide",
        "title": "Путеводитель по услугам",
        "description": "",
        "title_en": "A guide to services",
        "description_en": "Booklets and maps",
    }
    assert body["nominations"][1]["title_en"] == ""
    assert body["rules"]["consent_text"] == "Авторы согласны на обработку их персональных данных."
    assert body["time_zone"] == "Europe/Moscow"
    assert body["window"]["closes_at"] == "2026-12-20T18:00:00+03:00"  # typed in Moscow time


async def test_the_zone_select_offers_russias_zones_by_place(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/console/contests/new", headers={"accept-language": "ru"})
    select = re.search(r'<select id="time_zone" name="time_zone"[^>]*>(.*?)</select>', page.text, re.S)
    assert select
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select.group(1))
    assert [value for value, _label in options] == [
        "Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
        "Asia/Novosibirsk", "Asia/Novokuznetsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk",
        "Asia/Vladivostok", "Asia/Magadan", "Asia/Kamchatka",
    ]  # fmt: skip
    labels = dict(options)
    assert labels["Europe/Moscow"] == "Москва (UTC+3)"
    assert labels["Asia/Novokuznetsk"] == "Кемерово, Новокузнецк (UTC+7)"
    assert '<option value="Asia/Novokuznetsk" selected>' in select.group(1)  # the settings' zone


async def test_the_window_is_shown_in_the_stored_zone_not_guessed_from_the_offset(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    # the deadline came back with +07:00, but the contest is held in Moscow time
    moscow = a_contest(time_zone="Europe/Moscow")
    apis.answer("GET", f"/contests/{CONTEST_ID}", httpx.Response(200, json=moscow))
    form = await form_of(signed_in, f"/console/contests/{CONTEST_ID}/edit")
    assert form["time_zone"] == "Europe/Moscow"
    assert (form["closes_date"], form["closes_time"]) == ("2026-12-20", "14:00")
    overview = await signed_in.get(f"/console/contests/{CONTEST_ID}", headers={"accept-language": "ru"})
    assert "20 декабря 2026, 14:00" in overview.text and "Москва (UTC+3)" in overview.text
    assert 'name="deadline_time" type="time" value="14:00"' in overview.text


async def test_a_zone_outside_russia_stays_selectable_for_its_contest(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    apis.answer(
        "GET", f"/contests/{CONTEST_ID}", httpx.Response(200, json=a_contest(time_zone="Europe/Minsk"))
    )
    form = await form_of(signed_in, f"/console/contests/{CONTEST_ID}/edit")
    assert form["time_zone"] == "Europe/Minsk"
    unchanged = await signed_in.post(f"/console/contests/{CONTEST_ID}/edit", data=form)
    assert unchanged.status_code == 303
    assert not apis.called("PATCH", f"/contests/{CONTEST_ID}")


async def test_editing_the_english_title_the_consent_text_and_the_zone_sends_them(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    apis.answer("PATCH", f"/contests/{CONTEST_ID}", httpx.Response(200, json=a_contest(revision=2)))
    form = await form_of(signed_in, f"/console/contests/{CONTEST_ID}/edit")
    assert form["nominations-0-title_en"] == "A guide to services"
    assert form["nominations-0-description_en"] == "Booklets"
    assert form["consent_text"] == "Согласие на обработку персональных данных."
    form |= {
        "nominations-1-title_en": "Quest",
        "consent_text": "Новый текст согласия.",
        "time_zone": "Asia/Krasnoyarsk",  # the same offset as Novokuznetsk: the window stays
    }
    response = await signed_in.post(f"/console/contests/{CONTEST_ID}/edit", data=form)
    assert response.status_code == 303, response.text
    sent = apis.sent("PATCH", f"/contests/{CONTEST_ID}")
    assert set(sent) == {"nominations", "rules", "time_zone"}
    assert sent["time_zone"] == "Asia/Krasnoyarsk"
    assert sent["nominations"][1]["title_en"] == "Quest"
    assert sent["rules"]["consent_text"] == "Новый текст согласия."


async def test_too_long_english_texts_and_an_unknown_zone_are_told_beside_their_fields(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    page = await signed_in.get("/console/contests/new")
    form = new_contest_form(csrf_of(page.text)) | {
        "nominations-0-title_en": "x" * 501,
        "consent_text": "x" * 5001,
        "time_zone": "Mars/Olympus",  # not offered: the default zone is taken instead
    }
    response = await signed_in.post("/console/contests/new", data=form)
    assert response.status_code == 422
    assert not apis.called("POST", "/contests")
    for field in ("nominations-0-title_en", "consent_text"):
        assert f'id="{field}-error"' in response.text, field
    assert '<option value="Asia/Novokuznetsk" selected>' in response.text

    refusal = problem(
        422,
        "Validation failed",
        errors=[
            {"location": ["body", "time_zone"], "message": "not a zone", "type": "value_error"},
            {
                "location": ["body", "nominations", 1, "description_en"],
                "message": "too long",
                "type": "string_too_long",
            },
        ],
    )
    apis.answer("POST", "/contests", refusal)
    response = await signed_in.post("/console/contests/new", data=new_contest_form(csrf_of(page.text)))
    assert response.status_code == 422
    assert 'id="time_zone-error"' in response.text
    assert 'id="nominations-2-description_en-error"' in response.text  # the form's third row


async def test_the_overview_shows_english_titles_and_the_consent_text(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get(f"/console/contests/{CONTEST_ID}")
    assert 'Путеводитель по услугам / <span lang="en">A guide to services</span>' in page.text
    assert "Согласие на обработку персональных данных." in page.text


# --- the conflict rules ------------------------------------------------------------------------------


def ticked(page: str, name: str) -> list[str]:
    return [
        re.search(r'value="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
        for tag in re.findall(rf'<input type="checkbox"[^>]*name="{name}"[^>]*>', page)
        if " checked" in tag
    ]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "ru",
            (
                "Конфликты интересов, которые учитываются автоматически",
                "Та же библиотека",
                "Та же территория",
            ),
        ),
        ("en", ("Conflicts of interest found automatically", "Same library", "Same territory")),
    ],
)
async def test_a_new_contest_chooses_its_conflict_rules_same_library_ticked_at_first(
    signed_in: httpx.AsyncClient, apis: FakeApis, language: str, words: tuple[str, ...]
) -> None:
    page = await signed_in.get("/console/contests/new", headers={"accept-language": language})
    for word in words:
        assert word in page.text, word
    assert 'for="conflict-same_territory"' in page.text
    assert ticked(page.text, "conflict_rules") == ["same_library"]
    apis.answer("POST", "/contests", httpx.Response(201, json=a_contest(status="draft")))
    form = new_contest_form(csrf_of(page.text)) | {"conflict_rules": ["same_territory", "same_library"]}
    response = await signed_in.post("/console/contests/new", data=form)
    assert response.status_code == 303, response.text
    assert apis.sent("POST", "/contests")["rules"]["conflict_rules"] == ["same_library", "same_territory"]


async def test_editing_the_conflict_rules_sends_them_and_the_overview_names_them(
    signed_in: httpx.AsyncClient, apis: FakeApis
) -> None:
    # a contest whose rules do not name them (stored before they were kept) has the same library's
    rules = a_contest()["rules"]
    assert "conflict_rules" not in rules
    overview = await signed_in.get(f"/console/contests/{CONTEST_ID}", headers={"accept-language": "ru"})
    assert re.search(r"учитываются автоматически</dt>\s*<dd>Та же библиотека</dd>", overview.text)
    form = await form_of(signed_in, f"/console/contests/{CONTEST_ID}/edit")
    assert form["conflict_rules"] == ["same_library"]
    assert (await signed_in.post(f"/console/contests/{CONTEST_ID}/edit", data=form)).status_code == 303
    assert not apis.called("PATCH", f"/contests/{CONTEST_ID}"), "nothing changed"

    apis.answer("PATCH", f"/contests/{CONTEST_ID}", httpx.Response(200, json=a_contest(revision=2)))
    form["conflict_rules"] = ["same_library", "same_territory"]
    assert (await signed_in.post(f"/console/contests/{CONTEST_ID}/edit", data=form)).status_code == 303
    sent = apis.sent("PATCH", f"/contests/{CONTEST_ID}")
    assert set(sent) == {"rules"} and sent["rules"]["conflict_rules"] == ["same_library", "same_territory"]

    both = a_contest(rules=rules | {"conflict_rules": ["same_library", "same_territory"]})
    apis.answer("GET", f"/contests/{CONTEST_ID}", httpx.Response(200, json=both))
    form = await form_of(signed_in, f"/console/contests/{CONTEST_ID}/edit")
    assert form["conflict_rules"] == ["same_library", "same_territory"]
    overview = await signed_in.get(f"/console/contests/{CONTEST_ID}")
    assert re.search(r"found automatically</dt>\s*<dd>Same library; Same territory</dd>", overview.text)
    del form["conflict_rules"]  # both boxes cleared: no automatic conflicts
    assert (await signed_in.post(f"/console/contests/{CONTEST_ID}/edit", data=form)).status_code == 303
    assert apis.sent("PATCH", f"/contests/{CONTEST_ID}")["rules"]["conflict_rules"] == []
