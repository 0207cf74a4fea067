"""Attachments: typed by their content, refused over the contest's limit before the body is read whole
(with or without Content-Length), kept with their checksum and served back to the entry's people and
to a juror with a grant from judging."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kaleidoscope_shared.grants import ENTRY_DOCUMENTS, ENTRY_FILE, issue_grant

from .conftest import GRANT_KEY, ORGANISER, bearer, submit, submitted

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
    chunk = 64 * 1024
    body = CountedBody(b"x" * chunk, 40)  # 2.5 MiB against max_body_bytes, 1 MiB
    response = await client.post(f"/contests/{contest_id}/entries", content=body)  # type: ignore[arg-type]
    assert response.status_code == 413
    assert body.pulled <= 1024 * 1024 // chunk + 2


async def test_an_entry_cannot_reference_a_file_never_uploaded_to_its_contest(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    ref = {"key": "ab/" + "0" * 32, "filename": "x.pdf", "media_type": "application/pdf", "size_bytes": 1}
    response = await submit(client, contest_id, attachments=[{**ref, "sha256": "0" * 64}])
    assert response.status_code == 422
    assert response.json()["key"] == ref["key"]


async def entry_with_a_pdf(client: httpx.AsyncClient, contest_id: str) -> tuple[dict[str, Any], str]:
    ref = (await upload(client, contest_id, PDF)).json()
    receipt = await submitted(client, contest_id, attachments=[ref])
    return receipt, ref["key"]


async def test_a_juror_with_a_grant_on_the_file_gets_it_without_the_entrys_token(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    receipt, key = await entry_with_a_pdf(client, contest_id)
    grant = issue_grant(GRANT_KEY, ENTRY_FILE, f"{receipt['id']}:{key}", 600)
    served = await client.get(f"/entries/{receipt['id']}/attachments/{key}", params={"grant": grant})
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "forged",
    [
        "another file of the entry",
        "another entry",
        "expired",
        "signed with another key",
        "another scope",
        "garbage",
    ],
)
async def test_a_bad_grant_is_the_same_404_as_a_wrong_token(
    client: httpx.AsyncClient, contest_id: str, forged: str
) -> None:
    receipt, key = await entry_with_a_pdf(client, contest_id)
    subject = f"{receipt['id']}:{key}"
    grant = {
        "another file of the entry": issue_grant(
            GRANT_KEY, ENTRY_FILE, f"{receipt['id']}:ab/{'1' * 32}", 600
        ),
        "another entry": issue_grant(GRANT_KEY, ENTRY_FILE, f"{uuid.uuid4()}:{key}", 600),
        "expired": issue_grant(GRANT_KEY, ENTRY_FILE, subject, 60, now=time.time() - 120),
        "signed with another key": issue_grant("another-deployments-key", ENTRY_FILE, subject, 600),
        "another scope": issue_grant(GRANT_KEY, ENTRY_DOCUMENTS, subject, 600),
        "garbage": "not-a-grant",
    }[forged]
    url = f"/entries/{receipt['id']}/attachments/{key}"
    refused = await client.get(url, params={"grant": grant})
    wrong_token = await client.get(url, params={"token": "not-the-token"})
    assert refused.status_code == wrong_token.status_code == 404
    assert refused.json() == wrong_token.json()


async def test_inline_shows_a_pdf_in_the_browser_for_whoever_may_read_it(
    client: httpx.AsyncClient, contest_id: str
) -> None:
    receipt, key = await entry_with_a_pdf(client, contest_id)
    url = f"/entries/{receipt['id']}/attachments/{key}"
    grant = issue_grant(GRANT_KEY, ENTRY_FILE, f"{receipt['id']}:{key}", 600)
    for params, headers in [
        ({"inline": "1"}, bearer(receipt["token"])),
        ({"inline": "1"}, ORGANISER),
        ({"inline": "1", "grant": grant}, {}),
    ]:
        shown = await client.get(url, params=params, headers=headers)
        assert shown.status_code == 200 and shown.content == PDF
        assert (
            shown.headers["content-disposition"]
            == "inline; filename*=UTF-8''%D0%BF%D1%80%D0%B0%D0%BA%D1%82%D0%B8%D0%BA%D0%B0.pdf"
        )
    assert (await client.get(url, params={"inline": "1"})).status_code == 404
