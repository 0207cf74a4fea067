"""Attachments: typed by their content, refused over the contest's limit before the body is read whole
(with or without Content-Length), kept with their checksum and served back to the entry's people."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx

from .conftest import ORGANISER, bearer, submit, submitted

PDF = b"%PDF-1.7\n" + b"0" * 200 + b"\n%%EOF\n"
LIMIT = 1000  # the contest's max_size_bytes (contest_body)


class CountedBody:
    """A streamed body with no Content-Length; counts the chunks the server pulled."""

    def __init__(self, chunk: bytes, chunks: int) -> None:
        self.chunk, self.chunks, self.pulled = chunk, chunks, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield self.chunk


async def upload(
    client: httpx.AsyncClient, contest_id: str, content: object, **headers: str
) -> httpx.Response:
    return await client.post(
        f"/contests/{contest_id}/attachments",
        params={"filename": "практика.pdf"},
        content=content,  # type: ignore[arg-type]
        headers={"Content-Type": "application/pdf", **headers},
    )


async def test_a_pdf_is_stored_with_its_checksum_and_served_to_the_entrys_participant(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    stored = await upload(client, contest_id, PDF)
    assert stored.status_code == 201, stored.text
    ref = stored.json()
    assert ref["media_type"] == "application/pdf" and ref["size_bytes"] == len(PDF)
    assert ref["sha256"] == hashlib.sha256(PDF).hexdigest()
    receipt = await submitted(client, contest_id, attachments=[{**ref, "size_bytes": 1, "media_type": "x/y"}])
    attached = receipt["content"]["attachments"][0]
    assert attached["size_bytes"] == len(PDF) and attached["media_type"] == "application/pdf"
    url = f"/entries/{receipt['id']}/attachments/{ref['key']}"
    mine = await client.get(url, headers=bearer(receipt["token"]))
    assert mine.status_code == 200 and mine.content == PDF
    assert (await client.get(url, headers=ORGANISER)).content == PDF
    assert (await client.get(url)).status_code == 404


async def test_a_file_whose_content_is_not_an_allowed_type_is_415_whatever_it_is_called(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    response = await upload(client, contest_id, b"MZ\x90\x00 an executable, not a PDF" * 3)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["allowed_types"] == ["application/pdf", "image/png"]


async def test_an_attachment_over_the_limit_is_413_from_its_content_length_before_it_is_read(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    body = CountedBody(PDF[:100], 20)
    response = await upload(client, contest_id, body, **{"Content-Length": str(100 * 20)})
    assert response.status_code == 413
    assert response.json()["max_bytes"] == LIMIT
    assert body.pulled <= 1


async def test_an_attachment_over_the_limit_without_content_length_is_413_before_it_is_read_whole(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    body = CountedBody(PDF[:100], 100)
    response = await upload(client, contest_id, body)
    assert response.status_code == 413
    assert response.json()["max_bytes"] == LIMIT
    assert body.pulled <= LIMIT // 100 + 2, f"read {body.pulled} of 100 chunks"


async def test_a_body_over_the_services_own_ceiling_is_413_before_the_route_runs(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    body = CountedBody(b"x" * 1000, 50)  # max_request_bytes is 5000 in these tests
    response = await client.post(f"/contests/{contest_id}/entries", content=body)  # type: ignore[arg-type]
    assert response.status_code == 413
    assert body.pulled <= 7


async def test_an_entry_cannot_reference_a_file_never_uploaded_to_its_contest(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    ref = {"key": "ab/" + "0" * 32, "filename": "x.pdf", "media_type": "application/pdf", "size_bytes": 1}
    response = await submit(client, contest_id, attachments=[{**ref, "sha256": "0" * 64}])
    assert response.status_code == 422
    assert response.json()["key"] == ref["key"]
