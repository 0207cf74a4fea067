"""Request bodies over the limit are refused before they are read: a real API process sent a hundred
40 MiB bodies, with Content-Length and chunked, answers each with 413 and its memory stays where it
was. Uploads keep their own, larger limit. The docs pages of the real process load everything they
name from the process itself, which their Content-Security-Policy allows."""

from __future__ import annotations

import re
import select
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kaleidoscope_shared.http.problems import PROBLEM_JSON

from ..e2e.helpers import contest_body, entry_body
from .test_http_database_outage import ORGANISER, ApiProcess, serve_submissions, stop

MiB = 1024 * 1024
BIG = 40 * MiB
PIECE = b"x" * (256 * 1024)
IDLE_SLACK = 50 * MiB


@pytest.fixture
def api(tmp_path: Path, redis_url: str, namespace: str) -> Iterator[ApiProcess]:
    api = serve_submissions(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/submissions.db", redis_url, namespace)
    try:
        yield api
    finally:
        stop(api)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the most ever resident) of process `pid`, in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return {key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M).group(1)) for key in ("VmRSS", "VmHWM")}  # type: ignore[union-attr]


def post_big(url: str, path: str, size: int, *, chunked: bool, method: str = "POST") -> tuple[int, int]:
    """Send `size` bytes (POST, or `method`) to `path` on a socket of its own, sending until the server answers or stops
    reading; the answer's status and how many bytes were sent before it came."""
    host, port = url.removeprefix("http://").split(":")
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    piece = f"{len(PIECE):x}\r\n".encode() + PIECE + b"\r\n" if chunked else PIECE
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sent, pending = 0, memoryview(b"")
        while sent < size or pending:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                break  # the answer has come
            if not writable:
                raise AssertionError(f"{path}: neither read nor answered for 30 s after {sent} bytes")
            if not pending:
                pending, sent = memoryview(piece), sent + len(PIECE)
            try:
                pending = pending[sock.send(pending) :]
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        while b"\r\n" not in answer:
            received = sock.recv(65536)
            assert received, f"{path}: closed without an answer after {sent} bytes sent"
            answer += received
        return int(answer.split(b" ", 2)[1]), sent


def open_contest(client: httpx.Client) -> str:
    created = client.post("/contests", json=contest_body(), headers=ORGANISER)
    assert created.status_code == 201, created.text
    contest = str(created.json()["id"])
    assert client.post(f"/contests/{contest}/publish", headers=ORGANISER).status_code == 200
    return contest


def test_a_hundred_40_mib_bodies_are_refused_without_the_process_growing(api: ApiProcess) -> None:
    with httpx.Client(base_url=api.url, timeout=30) as client:
        contest = open_contest(client)
        receipt = client.post(f"/contests/{contest}/entries", json=entry_body("idle"))
        assert receipt.status_code == 201
        entry = receipt.json()["id"]
        # Warm every path once (a small 413 of each kind too) before idle memory is measured.
        assert post_big(api.url, f"/contests/{contest}/entries", 2 * MiB, chunked=False)[0] == 413
        assert post_big(api.url, f"/contests/{contest}/entries", 2 * MiB, chunked=True)[0] == 413
    targets = [
        ("POST", f"/contests/{contest}/entries"),  # anonymous by design
        ("PATCH", f"/entries/{entry}"),  # the entry token's: 413 if declared too large, else 401 unread
        ("POST", "/contests"),  # the organiser's: 413 if declared too large, else 401 before it is read
        ("POST", f"/contests/{uuid.uuid4()}/entries"),  # no such contest: known once the body is parsed
    ]
    time.sleep(0.5)
    idle = memory_kib(api.pid)
    started, most_sent = time.monotonic(), 0
    for i in range(100):
        method, path = targets[i % len(targets)]
        status, sent = post_big(api.url, path, BIG, chunked=i % 2 == 1, method=method)
        anonymous_401 = path == "/contests" or path.startswith("/entries/")
        assert status == (401 if anonymous_401 and i % 2 == 1 else 413), (i, path, status)
        assert sent < BIG, f"{path}: all {BIG} bytes were taken before the answer"
        most_sent = max(most_sent, sent)
    elapsed = time.monotonic() - started
    after = memory_kib(api.pid)
    print(
        f"\n100 x 40 MiB bodies in {elapsed:.1f} s; idle RSS {idle['VmRSS'] / 1024:.1f} MiB, "
        f"after {after['VmRSS'] / 1024:.1f} MiB, peak {after['VmHWM'] / 1024:.1f} MiB "
        f"(peak before {idle['VmHWM'] / 1024:.1f} MiB); at most {most_sent / MiB:.1f} MiB sent before a 413"
    )
    assert (after["VmRSS"] - idle["VmRSS"]) * 1024 < IDLE_SLACK, (idle, after)
    assert (after["VmHWM"] - idle["VmRSS"]) * 1024 < IDLE_SLACK, (idle, after)
    with httpx.Client(base_url=api.url, timeout=10) as client:
        assert client.get("/health").status_code == 200


def test_a_body_over_the_limit_is_a_413_problem(api: ApiProcess) -> None:
    with httpx.Client(base_url=api.url, timeout=30) as client:
        contest = open_contest(client)
        answer = client.post(f"/contests/{contest}/entries", content=b" " * (MiB + 1))
        assert answer.status_code == 413
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "x-correlation-id" in answer.headers
        assert answer.json()["max_bytes"] == MiB
        # just under the limit: read and parsed (422: it is not an entry)
        assert client.post(f"/contests/{contest}/entries", content=b" " * MiB).status_code == 422


def test_uploads_keep_their_larger_limit(api: ApiProcess) -> None:
    pdf = b"%PDF-1.7\n" + b"0" * (5 * MiB) + b"\n%%EOF\n"
    with httpx.Client(base_url=api.url, timeout=30) as client:
        contest = open_contest(client)
        upload = f"/contests/{contest}/attachments"
        params, headers = {"filename": "practice.pdf"}, {"Content-Type": "application/pdf"}
        stored = client.post(upload, params=params, content=pdf, headers=headers)
        assert stored.status_code == 201, stored.text
        assert stored.json()["size_bytes"] == len(pdf)
        chunked = client.post(upload, params=params, content=iter([pdf[:MiB], pdf[MiB:]]), headers=headers)
        assert chunked.status_code == 201, chunked.text
    # over the contest's own limit (20 MiB): refused by the service before it is read
    assert post_big(api.url, f"{upload}?filename=big.pdf", BIG, chunked=False)[0] == 413


def test_the_docs_pages_of_a_real_process_load_what_they_name_under_their_policy(api: ApiProcess) -> None:
    with httpx.Client(base_url=api.url, timeout=10) as client:
        for page in ("/docs", "/redoc"):
            response = client.get(page)
            assert response.status_code == 200
            policy = dict(
                part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";")
            )
            nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)  # type: ignore[union-attr]
            assert "'self'" in policy["script-src"] and "'self'" in policy["style-src"]
            assert "'unsafe-inline'" not in policy["script-src"]
            assert policy["frame-ancestors"] == "'none'"
            scripts = re.findall(r"<script([^>]*)>", response.text)
            assert scripts and all(f'nonce="{nonce}"' in attributes for attributes in scripts), scripts
            named = re.findall(r'(?:src|href)="([^"]+)"', response.text)
            assert named and all(url.startswith("/") and not url.startswith("//") for url in named), named
            for url in named:
                asset = client.get(url)
                assert asset.status_code == 200, url
                assert asset.content, url
            assert client.get("/openapi.json").status_code == 200
        assert (
            client.get("/docs").headers["content-security-policy"]
            != client.get("/health").headers["content-security-policy"]
        )
