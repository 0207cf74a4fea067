"""The console's jury page against fake APIs: jurors with their conflicts (automatic ones with their
reason), add / edit / remove (judging's 409 told beside the juror), a new personal link behind a
confirmation and shown once, a conflict added by hand, and each stage's assignment."""

# ruff: noqa: F811 (the shared fixtures are imported by name, then taken as arguments)
from __future__ import annotations

from urllib.parse import unquote

import httpx

from .test_stages_pages import (  # noqa: F401 (fixtures)
    E3,
    J1,
    J2,
    S1,
    TOKEN,
    C,
    ConsoleApis,
    apis,
    client,
    csrf_of,
    organiser,
    text_of,
)

JURY = f"/console/contests/{C}/jury"


async def test_the_jury_page_lists_jurors_their_conflicts_and_the_assignment(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    page = await client.get(JURY)
    assert page.status_code == 200 and 'aria-current="page"' in page.text
    text = text_of(page.text)
    assert "Анна Петрова директор · ЦБС · Анжеро-Судженский ГО anna@lib.ru" in text
    assert "Automatic “Тайны старой Анжерки”: same library as author Мария Котова: ЦБС" in text
    assert "Declared by the juror “Книжный дозор”: мой ученик" in text
    assert "Every juror scores every entry (except conflicts)" in text
    assert "Анна Петрова 2 2 Борис Иванов 3 1" in text
    listed = [c for c in apis.calls if c.url.path == f"/contests/{C}/conflicts"]
    assert listed and listed[-1].headers["authorization"] == f"Bearer {TOKEN}"


async def test_adding_a_juror_sends_the_details_and_shows_the_token_once(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    form = {
        "csrf_token": organiser,
        "name": "  Вера   Смирнова ",
        "position": "библиотекарь",
        "library": "ЦДБ",
        "territory_code": "anzhero",
        "email": "vera@lib.ru",
        "language": "en",
    }
    response = await client.post(JURY, data=form)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "juror-personal-token-xyz" in response.text and "/jury/sign-in" in response.text
    assert apis.sent("POST", f"/contests/{C}/jurors") == [
        {
            "name": "Вера Смирнова",
            "position": "библиотекарь",
            "library": "ЦДБ",
            "territory_code": "anzhero",
            "email": "vera@lib.ru",
            "language": "en",
        }
    ]


async def test_a_jurors_mistakes_are_told_beside_the_fields(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    form = {"csrf_token": organiser, "name": "", "email": "not-an-address", "territory_code": "nowhere"}
    response = await client.post(JURY, data=form)
    assert response.status_code == 422
    for field in ("name", "email", "territory_code"):
        assert f'id="{field}-error"' in response.text, field
    assert 'aria-describedby="email-hint email-error"' in response.text
    assert apis.sent("POST", f"/contests/{C}/jurors") == []
    apis.refuse[("POST", f"/contests/{C}/jurors")] = httpx.Response(
        422,
        json={
            "status": 422,
            "title": "The request is not valid",
            "errors": [{"location": ["body", "email"], "message": "value is not a valid email address"}],
        },
    )
    response = await client.post(
        JURY, data={**form, "name": "Вера", "email": "vera@lib", "territory_code": ""}
    )
    assert response.status_code == 422 and 'id="email-error"' in response.text


async def test_editing_a_juror_patches_their_details(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    page = await client.get(f"{JURY}/{J1}/edit")
    assert page.status_code == 200 and 'value="Анна Петрова"' in page.text
    form = {
        "csrf_token": organiser,
        "name": "Анна Петрова-Ким",
        "position": "",
        "library": "МБУК ЦБС",
        "territory_code": "",
        "email": "",
        "language": "ru",
    }
    response = await client.post(f"{JURY}/{J1}/edit", data=form)
    assert (response.status_code, response.headers["location"]) == (303, JURY)
    assert apis.sent("PATCH", f"/contests/{C}/jurors/{J1}") == [
        {
            "name": "Анна Петрова-Ким",
            "position": "",
            "library": "МБУК ЦБС",
            "territory_code": "",
            "email": None,
            "language": "ru",
        }
    ]
    assert "The juror&#39;s details are saved." in (await client.get(JURY)).text


async def test_removing_a_juror_who_has_scored_is_told_beside_that_juror(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    apis.refuse[("DELETE", f"/contests/{C}/jurors/{J2}")] = httpx.Response(
        409, json={"status": 409, "title": "Refused", "detail": "Борис Иванов has scored 1 entries."}
    )
    response = await client.post(f"{JURY}/{J2}/remove", data={"csrf_token": organiser})
    assert response.status_code == 409
    assert f'id="juror-{J2}-error"' in response.text and "has scored 1 entries" in response.text
    assert f'id="juror-{J1}-error"' not in response.text
    response = await client.post(f"{JURY}/{J1}/remove", data={"csrf_token": organiser})
    assert response.status_code == 303
    assert len(apis.sent("DELETE", f"/contests/{C}/jurors/{J1}")) == 1


async def test_a_new_personal_link_asks_first_then_shows_the_link_once(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    confirm = await client.get(f"{JURY}/{J1}/link")
    assert confirm.status_code == 200 and "stop working at once" in confirm.text
    assert apis.sent("POST", f"/contests/{C}/jurors/{J1}/link") == []
    response = await client.post(f"{JURY}/{J1}/link", data={"csrf_token": csrf_of(confirm.text)})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert "http://testserver/jury/sign-in?ticket=T2" in response.text
    assert len(apis.sent("POST", f"/contests/{C}/jurors/{J1}/link")) == 1


async def test_a_conflict_added_by_hand_and_its_mistakes(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    response = await client.post(
        f"{JURY}/conflicts",
        data={
            "csrf_token": organiser,
            "conflict-juror_id": "",
            "conflict-entry_id": E3,
            "conflict-reason": "",
        },
    )
    assert response.status_code == 422
    assert 'id="conflict-juror_id-error"' in response.text and 'id="conflict-reason-error"' in response.text
    response = await client.post(
        f"{JURY}/conflicts",
        data={
            "csrf_token": organiser,
            "conflict-juror_id": J2,
            "conflict-entry_id": E3,
            "conflict-reason": "родственник автора",
        },
    )
    assert response.status_code == 303
    assert apis.sent("POST", f"/contests/{C}/conflicts") == [
        {"juror_id": J2, "entry_id": E3, "reason": "родственник автора"}
    ]


async def test_jury_forms_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    for path in ("", f"/{J1}/edit", f"/{J1}/remove", f"/{J1}/link", "/conflicts"):
        response = await client.post(JURY + path, data={"csrf_token": "forged", "name": "X"})
        assert response.status_code == 403, path
    assert [c for c in apis.calls if c.method != "GET"] == []


async def test_jury_pages_without_a_session_redirect_to_the_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("", f"/{J1}/edit", f"/{J1}/link"):
        response = await client.get(JURY + path)
        assert response.status_code == 303
        assert unquote(response.headers["location"]) == f"/console/sign-in?next={JURY}{path}"
    assert S1
