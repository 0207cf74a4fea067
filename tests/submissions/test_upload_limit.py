"""The body limit (the shared `BodyLimit`, as submissions declares it for uploads) answers 413 before the
body is read whole, with or without Content-Length."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from kaleidoscope_shared.http.body_limit import BodyLimit

LIMIT = 1_000
CHUNK = b"x" * 100


class Calls:
    count = 0


async def upload(request: Request) -> PlainTextResponse:
    Calls.count += 1
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return PlainTextResponse(str(size))


def limited_starlette_app() -> BodyLimit:
    routes = [Route("/uploads", upload, methods=["POST"]), Route("/notes", upload, methods=["POST"])]
    return BodyLimit(Starlette(routes=routes), default=100 * LIMIT, limits={"/uploads": LIMIT})


def client(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


class CountingBody:
    """A streamed request body without a length; counts how many chunks the server pulled."""

    def __init__(self, chunks: int) -> None:
        self.chunks, self.pulled = chunks, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield CHUNK


@pytest.fixture(autouse=True)
def reset_calls() -> None:
    Calls.count = 0


async def test_a_declared_content_length_over_the_limit_is_refused_before_the_app_runs() -> None:
    async with client(limited_starlette_app()) as http:
        response = await http.post("/uploads", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["max_bytes"] == LIMIT
    assert Calls.count == 0


async def test_a_chunked_body_without_content_length_is_cut_off_with_413() -> None:
    body = CountingBody(chunks=100)  # 10 000 bytes against a 1 000-byte limit
    async with client(limited_starlette_app()) as http:
        request = http.build_request("POST", "/uploads", content=body)
        assert "content-length" not in request.headers
        response = await http.send(request)
    assert response.status_code == 413
    assert response.json()["status"] == 413
    assert body.pulled == LIMIT // len(CHUNK) + 1


async def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    async with client(limited_starlette_app()) as http:
        streamed = await http.post("/uploads", content=CountingBody(chunks=10))
        declared = await http.post("/uploads", content=b"x" * LIMIT)
    assert (streamed.status_code, streamed.text) == (200, str(LIMIT))
    assert (declared.status_code, declared.text) == (200, str(LIMIT))


async def test_routes_without_a_limit_of_their_own_have_the_default() -> None:
    async with client(limited_starlette_app()) as http:
        response = await http.post("/notes", content=CountingBody(chunks=30))
    assert (response.status_code, response.text) == (200, "3000")


async def test_the_413_stands_even_when_the_app_turns_the_read_error_into_its_own_response() -> None:
    api = FastAPI()

    @api.post("/uploads")
    async def swallowing_upload(request: Request) -> JSONResponse:
        try:
            await request.body()
        except Exception:
            return JSONResponse({"detail": "There was an error parsing the body"}, status_code=400)
        return JSONResponse({"ok": True})

    async with client(BodyLimit(api, default=LIMIT)) as http:
        response = await http.post("/uploads", content=CountingBody(chunks=50))
    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["detail"]
