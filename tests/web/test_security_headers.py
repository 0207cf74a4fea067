"""Every answer of the web front carries its security headers: a Content-Security-Policy without inline
script or style that no other site may frame, X-Frame-Options, nosniff, a Referrer-Policy; every answer
that is not one of the public pages is `Cache-Control: no-store` (a participant's entry pages, the
juror's, the console, the sign-in pages and their redirects and error pages); HSTS only when the site is
served over https. The routes are read from the app, so a new page is covered — and private — the moment
it exists; the public ones are listed here. The templates hold nothing the policy would refuse."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from web.main import create_app
from web.settings import WebSettings

from .console.kit import csrf_of, flatten, web_client

TOKEN = "the-organisers-token-for-these-tests"
SECRET = "Zq7#xW2!pL9$mN4^rT6&vB1@kd83hF0)aQ5"  # a production session secret
CONTEST = "7d7c1e7e-0000-4000-8000-000000000001"
ENTRY = "7d7c1e7e-0000-4000-8000-000000000002"
# What anyone may see and a cache may keep. Everything else is private.
PUBLIC = {
    "/",
    "/contests/{contest_id}",
    "/contests/{contest_id}/results",
    "/contests/{contest_id}/hall",
    "/contests/{contest_id}/hall/events",
    "/verify",
    "/verify/{code}",
    "/health",
    "/static/site.css",
    "/metrics",
}
TEMPLATES = Path(__file__).resolve().parents[2] / "services" / "web" / "web" / "templates"


def handle(request: httpx.Request) -> httpx.Response:
    """The services: the organisers' token, a juror's ticket and a participant's token are good; every
    other thing asked for does not exist."""
    path = request.url.path
    if path == "/channels" and request.headers.get("authorization") == f"Bearer {TOKEN}":
        return httpx.Response(200, json={"installed": [], "enabled": [], "loaded": [], "failures": []})
    if path.endswith("/me"):
        return httpx.Response(200, json={"id": str(uuid.uuid4()), "contest_id": CONTEST, "name": "J"})
    if path == f"/entries/{ENTRY}":
        entry = {
            "id": ENTRY,
            "contest_id": CONTEST,
            "content": {"title": "T", "authors": []},
            "attachments": [],
        }
        return httpx.Response(200, json=entry)
    return httpx.Response(404, json={"title": "Not found", "status": 404})


def routes() -> list[tuple[str, str]]:
    app = create_app(WebSettings(environment="test", log_format="console"))
    found = [
        (method, route.path)
        for route in flatten(app.routes)
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]
    return [*found, ("GET", "/static/site.css"), ("GET", "/metrics")]


def concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return {"entry_id": ENTRY, "language": "en", "fmt": "csv", "code": "ABCD-1234"}.get(
            name.split(":")[0], CONTEST if name.endswith("_id") else "x"
        )

    return re.sub(r"\{([^}]+)\}", value, path)


@pytest.fixture
async def visitor() -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(handle, raise_app_exceptions=False) as client:  # a page the fakes break: a 500
        yield client


async def sign_in_everywhere(client: httpx.AsyncClient) -> None:
    """One browser that is an organiser, a juror and a participant at once."""
    page = await client.get("/console/sign-in")
    form = {"csrf_token": csrf_of(page.text), "name": "Ирина", "token": TOKEN, "next": "/console"}
    assert (await client.post("/console/sign-in", data=form)).status_code == 303
    await client.get("/jury/sign-in", params={"ticket": "a-jurors-ticket", "contest": CONTEST})
    await client.get(f"/entries/{ENTRY}", params={"token": "a-participants-token"})


def page_headers_missing(response: httpx.Response) -> list[str]:
    """What the answer lacks of the headers every page carries."""
    policy = response.headers.get("content-security-policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";") if d.strip()}
    wanted = {
        "default-src": "default-src 'self'",
        "script-src": "script-src 'self'",
        "style-src": "style-src 'self'",
        "object-src": "object-src 'none'",
        "base-uri": "base-uri 'none'",
        "form-action": "form-action 'self'",
        "frame-ancestors": "frame-ancestors 'none'",
    }
    missing = [
        f"CSP {want!r} (has {directives.get(name)!r})"
        for name, want in wanted.items()
        if directives.get(name) != want
    ]
    if "unsafe" in policy:
        missing.append(f"CSP without 'unsafe-…' (has {policy!r})")
    for name, value in (
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
    ):
        if response.headers.get(name) != value:
            missing.append(f"{name}: {value} (has {response.headers.get(name)!r})")
    if "strict-transport-security" in response.headers:
        missing.append("no HSTS on a site served over http")
    return missing


@pytest.mark.parametrize("session", ["anonymous", "signed in everywhere"])
async def test_every_route_answers_with_the_security_headers_and_private_ones_with_no_store(
    visitor: httpx.AsyncClient, session: str
) -> None:
    if session != "anonymous":
        await sign_in_everywhere(visitor)
    found = routes()
    assert len(found) >= 60, found  # the site's pages are there to be checked
    assert {path for _, path in found} >= PUBLIC, "a public page listed here is gone: update PUBLIC"
    wrong: dict[tuple[str, str], object] = {}
    statuses: set[int] = set()
    for method, path in found:
        response = await visitor.request(method, concrete(path), data={"csrf_token": "x"})
        statuses.add(response.status_code)
        problems = page_headers_missing(response)
        no_store = response.headers.get("cache-control") == "no-store"
        if path not in PUBLIC and not no_store:
            problems.append(
                f"Cache-Control: no-store on a private answer (has {response.headers.get('cache-control')!r})"
            )
        if "set-cookie" in response.headers and not no_store:
            problems.append("Cache-Control: no-store on an answer that sets a cookie")
        if path in PUBLIC and "set-cookie" not in response.headers and no_store:
            problems.append("a public page that sets no cookie left for a cache to keep, not no-store")
        if problems:
            wrong[(method, path)] = (response.status_code, problems)
    assert wrong == {}
    # pages, redirects, refusals and missing things were all among the answers checked
    assert {200, 303, 404} <= statuses, statuses


async def test_a_public_page_asked_for_with_a_secret_in_its_address_is_not_kept(
    visitor: httpx.AsyncClient,
) -> None:
    for secret in ("token", "ticket", "grant"):
        response = await visitor.get(f"/contests/{CONTEST}", params={secret: "something-private"})
        assert response.headers["cache-control"] == "no-store", secret
    assert "cache-control" not in (await visitor.get(f"/contests/{CONTEST}")).headers


async def test_the_answers_made_outside_the_pages_carry_the_headers_too() -> None:
    """A 413 of the body limit, and the 500 page Starlette's outermost middleware sends."""

    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug in the web front")

    async with web_client(broken, raise_app_exceptions=False) as client:
        too_big = await client.post("/console/sign-in", content=b"x" * (2 * 1024 * 1024))
        assert too_big.status_code == 413
        assert page_headers_missing(too_big) == []
        assert too_big.headers["cache-control"] == "no-store"
        failed = await client.get(f"/contests/{CONTEST}")
        assert failed.status_code == 500 and failed.headers["content-type"].startswith("text/html")
        assert page_headers_missing(failed) == []
        failed = await client.get(f"/entries/{ENTRY}", params={"token": "t"})
        assert failed.status_code == 500
        assert page_headers_missing(failed) == [] and failed.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("settings", "hsts"),
    [
        ({"environment": "production", "session_secret": SECRET, "secure_cookies": False}, False),
        ({"environment": "production", "session_secret": SECRET}, True),
        ({"environment": "test", "secure_cookies": True}, True),
        ({"environment": "development"}, False),
    ],
)
async def test_hsts_only_when_the_site_is_served_over_https(settings: dict[str, object], hsts: bool) -> None:
    site = WebSettings(log_format="console", **settings)  # type: ignore[arg-type]
    async with web_client(handle, settings=site) as client:
        for path in ("/", "/console/sign-in", "/static/site.css", f"/entries/{ENTRY}"):
            response = await client.get(path)
            assert ("strict-transport-security" in response.headers) is hsts, path
            if hsts:
                assert response.headers["strict-transport-security"] == "max-age=31536000"


def test_the_templates_hold_nothing_the_policy_refuses() -> None:
    """No inline script, no `<style>`, no `style=` attribute, no event-handler attribute, no
    `javascript:` address: each would be refused by `script-src 'self'` / `style-src 'self'`."""
    refused = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE
    )
    found = {
        f"{path.relative_to(TEMPLATES)}:{text.count(chr(10), 0, match.start()) + 1}": match.group(0)
        for path in sorted(TEMPLATES.rglob("*.html"))
        for text in [path.read_text()]
        for match in refused.finditer(text)
    }
    assert len(list(TEMPLATES.rglob("*.html"))) >= 40
    assert found == {}
