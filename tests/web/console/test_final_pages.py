"""The console's final against fake APIs: date and place (the declaration replaced while declared),
the running order moved with arrow buttons, defences started and ended, the hall screen's link, the close
(a tie shown for the chair), and prizes per place and special mentions saved and read back."""

# ruff: noqa: F811 (the shared fixtures are imported by name, then taken as arguments)
from __future__ import annotations

from urllib.parse import unquote

import httpx

from .test_stages_pages import (  # noqa: F401 (fixtures)
    E1,
    E2,
    E3,
    FINAL,
    S1,
    TIE,
    C,
    ConsoleApis,
    apis,
    client,
    organiser,
    stage,
    text_of,
)

PAGE = f"/console/contests/{C}/final"


def with_final(apis: ConsoleApis, status: str, **more: object) -> None:
    apis.stages = [
        stage(S1, "closed"),
        stage(
            FINAL,
            status,
            kind="final",
            definition={"name": "Финал", "advancement": {"rule": "places_per_nomination", "k": 3}},
            **more,
        ),
    ]


async def test_the_date_and_place_of_a_declared_final_replace_its_declaration(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    with_final(apis, "declared")
    page = await client.get(PAGE)
    assert page.status_code == 200 and f'href="/contests/{C}/hall"' in page.text
    response = await client.post(
        f"{PAGE}/when",
        data={"csrf_token": organiser, "held_at": "2027-02-10T14:00", "venue": "Зал ОНБ им. Федорова"},
    )
    assert (response.status_code, response.headers["location"]) == (303, PAGE)
    [body] = apis.sent("PUT", f"/contests/{C}/stages/{FINAL}")
    assert body["held_at"] == "2027-02-10T14:00:00+07:00" and body["venue"] == "Зал ОНБ им. Федорова"
    assert body["kind"] == "final" and body["advancement"] == {"rule": "places_per_nomination", "k": 3}
    assert body["criteria"][0]["name"] == "Идея"


async def test_date_and_place_mistakes_are_told_beside_their_fields(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    with_final(apis, "declared")
    response = await client.post(f"{PAGE}/when", data={"csrf_token": organiser, "held_at": "", "venue": ""})
    assert response.status_code == 422
    assert 'id="held_at-error"' in response.text and 'id="venue-error"' in response.text
    assert apis.sent("PUT", f"/contests/{C}/stages/{FINAL}") == []


async def test_the_running_order_moves_with_arrow_buttons_and_defences_start_and_end(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    with_final(apis, "open", running_order=[E1, E2, E3], defended=[E1])
    page = await client.get(PAGE)
    text = text_of(page.text)
    assert "“Тайны старой Анжерки” Квест Defended" in text
    assert "Move Книжный дозор up" in text and "Start the defence Книжный дозор" in text
    response = await client.post(
        f"{PAGE}/order", data={"csrf_token": organiser, "entry_id": E3, "direction": "up"}
    )
    assert response.status_code == 303
    assert apis.sent("PUT", f"/contests/{C}/stages/{FINAL}/running-order") == [{"entry_ids": [E1, E3, E2]}]
    response = await client.post(f"{PAGE}/defence/start", data={"csrf_token": organiser, "entry_id": E2})
    assert response.status_code == 303
    assert apis.sent("POST", f"/contests/{C}/stages/{FINAL}/defence/start") == [{"entry_id": E2}]
    with_final(apis, "open", running_order=[E1, E2, E3], defended=[E1], defending_entry_id=E2)
    page = await client.get(PAGE)
    assert "The defence has started" in page.text and "End the defence" in page.text
    response = await client.post(f"{PAGE}/defence/end", data={"csrf_token": organiser})
    assert response.status_code == 303
    assert len(apis.sent("POST", f"/contests/{C}/stages/{FINAL}/defence/end")) == 1


async def test_a_refused_defence_is_told_on_the_page(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    with_final(apis, "open", running_order=[E1, E2])
    apis.refuse[("POST", f"/contests/{C}/stages/{FINAL}/defence/end")] = httpx.Response(
        409, json={"status": 409, "title": "Refused", "detail": "No defence is running; start one first."}
    )
    response = await client.post(f"{PAGE}/defence/end", data={"csrf_token": organiser})
    assert response.status_code == 409 and "No defence is running; start one first." in response.text


async def test_closing_the_final_declares_the_winners_or_shows_the_tie(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    with_final(apis, "open", running_order=[E1, E2])
    apis.refuse[("POST", f"/contests/{C}/stages/{FINAL}/close")] = httpx.Response(409, json=TIE)
    response = await client.post(f"{PAGE}/close", data={"csrf_token": organiser})
    assert response.status_code == 409 and "Record the chair" in response.text
    assert 'aria-current="page"' in response.text
    del apis.refuse[("POST", f"/contests/{C}/stages/{FINAL}/close")]
    response = await client.post(f"{PAGE}/close", data={"csrf_token": organiser})
    assert (response.status_code, response.headers["location"]) == (303, PAGE)


async def test_prizes_and_mentions_are_saved_and_read_back(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    with_final(apis, "open", running_order=[E1, E2, E3])
    form = {
        "csrf_token": organiser,
        "prize_rows": "3",
        "mention_rows": "3",
        "prize-0-place": "1",
        "prize-0-kind": "cash",
        "prize-0-description": "Денежная премия",
        "prize-0-amount": "15 000",
        "prize-0-currency": "rub",
        "prize-0-nomination_code": "",
        "prize-1-place": "1",
        "prize-1-kind": "sponsor",
        "prize-1-description": "Планшет",
        "prize-1-sponsor": "Книжный дом",
        "prize-1-nomination_code": "quest",
        "mention-0-entry_id": E3,
        "mention-0-text": "За смелость",
    }
    response = await client.post(f"{PAGE}/awards", data=form)
    assert (response.status_code, response.headers["location"]) == (303, PAGE + "#awards")
    assert apis.sent("PUT", f"/contests/{C}/stages/{FINAL}/awards") == [
        {
            "places": [
                {
                    "place": 1,
                    "nomination_code": None,
                    "prizes": [
                        {
                            "kind": "cash",
                            "description": "Денежная премия",
                            "amount": "15000",
                            "currency": "RUB",
                        }
                    ],
                },
                {
                    "place": 1,
                    "nomination_code": "quest",
                    "prizes": [{"kind": "sponsor", "description": "Планшет", "sponsor": "Книжный дом"}],
                },
            ],
            "special_mentions": [{"entry_id": E3, "text": "За смелость"}],
        }
    ]
    page = await client.get(PAGE)
    text = text_of(page.text)
    assert "1 Every nomination Денежная премия — 15000 RUB" in text
    assert "1 Квест Планшет — from Книжный дом" in text
    assert "“Читаем вместе”: За смелость" in text
    assert 'value="Денежная премия"' in page.text  # the form holds what is stored, to change it


async def test_prize_mistakes_are_told_beside_their_fields(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    with_final(apis, "open", running_order=[E1])
    form = {
        "csrf_token": organiser,
        "prize_rows": "2",
        "mention_rows": "1",
        "prize-0-place": "first",
        "prize-0-kind": "cash",
        "prize-0-description": "Премия",
        "prize-0-amount": "",
        "prize-1-place": "2",
        "prize-1-kind": "sponsor",
        "prize-1-description": "Книги",
        "prize-1-sponsor": "",
        "mention-0-entry_id": E1,
        "mention-0-text": "",
    }
    response = await client.post(f"{PAGE}/awards", data=form)
    assert response.status_code == 422
    for field in ("prize-0-place", "prize-0-amount", "prize-1-sponsor", "mention-0-text"):
        assert f'id="{field}-error"' in response.text, field
    assert apis.sent("PUT", f"/contests/{C}/stages/{FINAL}/awards") == []


async def test_a_contest_without_a_final_offers_to_declare_it(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    page = await client.get(PAGE)
    assert page.status_code == 200 and f"/console/contests/{C}/stages/new?kind=final" in page.text


async def test_final_forms_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    with_final(apis, "open", running_order=[E1, E2])
    for path in ("/when", "/order", "/defence/start", "/defence/end", "/close", "/awards"):
        response = await client.post(PAGE + path, data={"csrf_token": "forged", "entry_id": E1})
        assert response.status_code == 403, path
    assert [c for c in apis.calls if c.method != "GET"] == []


async def test_the_final_without_a_session_redirects_to_the_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get(PAGE)
    assert response.status_code == 303
    assert unquote(response.headers["location"]) == f"/console/sign-in?next={PAGE}"
