"""The number check of `InputHygiene`: every number Python's JSON parser would make infinite is refused
with 422 beside its field, however it is written (an exponent, or only many digits), and the bytes
scan that decides whether a body is parsed at all never lets one through."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kaleidoscope_shared.http.input_hygiene import InputHygiene, may_hide_forbidden

HUGE = [
    "1e999",
    "-1E+309",
    "1" + "0" * 400 + ".0",  # the plain decimal the audit found
    "-" + "9" * 309,  # an integer in a float literal's place: Python keeps it an int, not inf
    "1" + "0" * 300 + "e10",
    "1" + "0" * 250 + ".5e60",
    "0." + "0" * 5 + "1e315",
]


def app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(InputHygiene)

    @app.post("/weights")
    async def weights(body: dict[str, Any]) -> dict[str, Any]:
        return {"kept": repr(body)[:40]}

    return app


async def post_raw(raw: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t") as client:
        return await client.post(
            "/weights",
            content='{"stage": {"weight": ' + raw + "}}",
            headers={"content-type": "application/json"},
        )


@pytest.mark.parametrize("raw", HUGE, ids=range(len(HUGE)))
async def test_a_number_python_parses_as_infinite_is_refused_beside_its_field(raw: str) -> None:
    response = await post_raw(raw)
    if isinstance(json.loads(raw), int):
        assert response.status_code == 200, "an integer is the route's to judge, not infinity"
        return
    assert math.isinf(json.loads(raw))
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "location": ["body", "stage", "weight"],
            "message": "the number must be finite",
            "type": "finite_number",
        }
    ]


@pytest.mark.parametrize("raw", ["1.7976931348623157e308", "9" * 199 + ".0", "1" + "0" * 300 + "e-10", "0.5"])
async def test_large_finite_numbers_pass(raw: str) -> None:
    assert math.isfinite(json.loads(raw))
    assert (await post_raw(raw)).status_code == 200


def test_the_scan_sees_every_literal_that_parses_as_infinite() -> None:
    """Every digit count up to past the limit with every exponent of up to two digits, either sign,
    written plain, with a fraction, and in the form `d.ddd`: each literal that is infinite is scanned."""
    missed = []
    for digits in range(1, 420):
        for exponent in ["", *(f"e{e}" for e in range(-99, 100)), "E+99", "e+09"]:
            for literal in (
                "9" * digits + exponent,
                "1" + "0" * (digits - 1) + ".0" + exponent,
                "9." + "9" * digits + exponent,
            ):
                if "e" not in literal.lower() and "." not in literal:
                    continue  # a plain integer: json keeps it an int
                if math.isinf(json.loads(literal)) and not may_hide_forbidden(
                    b'{"x": ' + literal.encode() + b"}"
                ):
                    missed.append(literal)
    assert not missed, f"{len(missed)} infinite literals pass unparsed, e.g. {missed[0][:40]}…"
