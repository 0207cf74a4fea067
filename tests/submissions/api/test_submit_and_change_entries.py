"""A participant submits, sees, corrects and withdraws an entry by its private link; bad input is
refused with a problem document that says what was wrong."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from submissions.domain import FixedClock
from submissions.settings import SubmissionsSettings

from ..conftest import CLOSES
from .conftest import ORGANISER, author, bearer, entry_body, submit, submitted

PROBLEM = "application/problem+json"


async def test_a_submission_answers_with_a_private_link_that_opens_the_entry(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    receipt = await submitted(client, contest_id)
    assert receipt["revision"] == 1 and receipt["status"] == "submitted"
    assert receipt["private_link"] == (  # a page of the web front, which calls this API with the token
        f"https://contest.example.org/entries/{receipt['id']}?token={receipt['token']}"
    )
    by_link = await client.get(f"/entries/{receipt['id']}", params={"token": receipt["token"]})
    by_header = await client.get(f"/entries/{receipt['id']}", headers=bearer(receipt["token"]))
    assert by_link.status_code == by_header.status_code == 200
    assert by_link.json()["content"]["title"] == "Рюкзачок знаний"
    assert "token" not in by_link.json()
    assert by_link.json()["documents_grant"] is None  # no letters or diplomas before the results


def test_private_links_point_at_the_web_front_by_default() -> None:
    assert SubmissionsSettings.model_fields["public_base_url"].default == "http://127.0.0.1:8000"


async def test_an_edit_is_the_next_revision_and_a_withdrawal_the_one_after(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    receipt = await submitted(client, contest_id)
    url, token = f"/entries/{receipt['id']}", bearer(receipt["token"])
    edited = await client.patch(url, json={"title": "Рюкзачок знаний 2.0"}, headers=token)
    assert edited.status_code == 200, edited.text
    assert edited.json()["revision"] == 2 and edited.json()["content"]["title"] == "Рюкзачок знаний 2.0"
    assert edited.json()["content"]["annotation"] == entry_body()["annotation"]
    withdrawn = await client.request("DELETE", url, json={"reason": "Подали по ошибке"}, headers=token)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["revision"] == 3 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdrawal_reason"] == "Подали по ошибке"
    again = await client.patch(url, json={"title": "Ещё"}, headers=token)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM


async def test_a_withdrawal_needs_a_reason(client: httpx.AsyncClient, contest_id: str) -> None:
    receipt = await submitted(client, contest_id)
    url, token = f"/entries/{receipt['id']}", bearer(receipt["token"])
    blank = await client.request("DELETE", url, json={"reason": "   "}, headers=token)
    missing = await client.request("DELETE", url, json={}, headers=token)
    assert blank.status_code == missing.status_code == 422
    assert (await client.get(url, headers=token)).json()["status"] == "submitted"


async def test_after_the_deadline_submitting_editing_and_withdrawing_are_409_naming_the_deadline(
    client: httpx.AsyncClient, contest_id: str, clock: FixedClock
) -> None:
    receipt = await submitted(client, contest_id)
    clock.set(CLOSES)
    url, token = f"/entries/{receipt['id']}", bearer(receipt["token"])
    responses = [
        await submit(client, contest_id, title="Поздняя заявка"),
        await client.patch(url, json={"title": "Поздно"}, headers=token),
        await client.request("DELETE", url, json={"reason": "поздно"}, headers=token),
    ]
    for response in responses:
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["closes_at"] == CLOSES.isoformat()
        assert CLOSES.isoformat() in response.json()["detail"]
    clock.set(CLOSES - timedelta(microseconds=1))
    assert (await submit(client, contest_id, title="Успели")).status_code == 201


async def test_a_nomination_or_territory_outside_the_contest_is_422_listing_the_allowed_codes(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    nomination = await submit(client, contest_id, nomination_code="best-cakes")
    territory = await submit(client, contest_id, authors=[author(territory_code="moscow-city")])
    assert nomination.status_code == territory.status_code == 422
    assert nomination.json()["allowed_codes"] == ["idea-generator", "service-guide"]
    assert territory.json()["allowed_codes"] == ["belovo-city", "chebulinsky-district"]


async def test_unknown_fields_and_an_invalid_email_are_422(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    unknown = await submit(client, contest_id, favourite_colour="blue")
    unknown_in_author = await submit(client, contest_id, authors=[{**author(), "age": 40}])
    email = await submit(client, contest_id, authors=[author(email="not-an-address")])
    entry = await submitted(client, contest_id)
    edit_unknown = await client.patch(
        f"/entries/{entry['id']}", json={"colour": "red"}, headers=bearer(entry["token"])
    )
    for response in (unknown, unknown_in_author, email, edit_unknown):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
    assert "email" in email.text


async def test_a_second_identical_entry_is_409_without_naming_the_first(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    """Anyone may submit: the refusal explains the rule but gives away nothing of the entry it repeats
    (its id would confirm to a stranger that this author took part, and open a path to it)."""
    first = await submitted(client, contest_id)
    same = await submit(
        client,
        contest_id,
        title="  «РЮКЗАЧОК   знаний»! ",
        authors=[author(email="O.Zavodisker@example.org")],
    )
    assert same.status_code == 409
    assert same.headers["content-type"] == "application/problem+json"
    problem = same.json()
    assert "already in this contest" in problem["detail"]
    assert set(problem) == {"type", "title", "status", "detail", "instance"}
    assert first["id"] not in same.text and first["submitted_at"] not in same.text
    other_author = await submit(client, contest_id, authors=[author(full_name="Иванова Анна", email=None)])
    assert other_author.status_code == 201


async def test_text_is_stored_as_given_and_escaped_on_output(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    title = '=HYPERLINK("http://evil") <script>alert(1)</script> & «кавычки»'
    receipt = await submitted(client, contest_id, title=title)
    shown = await client.get(f"/entries/{receipt['id']}", headers=bearer(receipt["token"]))
    assert shown.headers["content-type"] == "application/json"
    assert shown.json()["content"]["title"] == title
    assert '"=HYPERLINK(\\"http://evil\\")' in shown.text  # JSON-escaped, never raw markup
    exported = await client.get(f"/contests/{contest_id}/export.csv", headers=ORGANISER)
    assert exported.status_code == 200
    assert '"\'=HYPERLINK(""http://evil"") <script>' in exported.content.decode("utf-8-sig")


async def test_another_participants_entry_is_404_like_a_missing_one(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    mine = await submitted(client, contest_id)
    theirs = await submitted(client, contest_id, title="Чужая заявка")
    url = f"/entries/{theirs['id']}"
    responses = [
        await client.get(url, headers=bearer(mine["token"])),
        await client.patch(url, json={"title": "Моя"}, headers=bearer(mine["token"])),
        await client.request("DELETE", url, json={"reason": "x"}, headers=bearer(mine["token"])),
        await client.get(url),
        await client.get(f"/entries/{uuid.uuid4()}", headers=bearer(mine["token"])),
    ]
    assert [r.status_code for r in responses] == [404] * 5
    assert len({r.json()["detail"] for r in responses}) == 1
    assert (await client.get(url, headers=ORGANISER)).status_code == 200
