"""A contest's window is given as dates and times: a number is refused, not read as seconds since 1970."""

from __future__ import annotations

import httpx

from .conftest import ORGANISER, contest_body


async def test_a_window_given_as_numbers_is_422_and_no_contest_is_made(client: httpx.AsyncClient) -> None:
    for window in (
        {"opens_at": 0, "closes_at": "2030-01-01T00:00:00Z"},
        {"opens_at": "2024-03-01T00:00:00Z", "closes_at": 1.9e9},
    ):
        answer = await client.post("/contests", json=contest_body(window=window), headers=ORGANISER)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert [e["location"][:3] for e in answer.json()["errors"]] == [
            ["body", "window", next(iter(k for k, v in window.items() if not isinstance(v, str)))]
        ]
    assert (await client.get("/contests", headers=ORGANISER)).json() == []
