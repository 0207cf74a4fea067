"""The console's fairness and audit page against fake APIs: leniency and agreement as tables with a
bar chart whose values are in words, the audit log page by page with its head hash and the heads the
closed stages published, the log's download (judging's JSON lines export, with the organiser's token),
and "verify" saying intact or naming the first broken record, and which published heads passed."""

# ruff: noqa: F811 (the shared fixtures are imported by name, then taken as arguments)
from __future__ import annotations

import re
from urllib.parse import unquote

import httpx

from .test_stages_pages import (  # noqa: F401 (fixtures)
    FINAL,
    S1,
    TOKEN,
    C,
    ConsoleApis,
    apis,
    client,
    organiser,
    stage,
    text_of,
)

PAGE = f"/console/contests/{C}/audit"


async def test_the_fairness_report_is_a_table_and_a_chart_with_values_in_words(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    page = await client.get(PAGE)
    assert page.status_code == 200 and 'aria-current="page"' in page.text
    text = text_of(page.text)
    assert "Анна Петрова -1.25 (harsher) 2" in text and "Борис Иванов +0.50 (more lenient) 2" in text
    assert "“Книжный дозор” 2.10 2" in text.split("Agreement per entry")[1].split("“Тайны")[0]
    # the harsher juror's bar runs left from the middle over the whole half; the lenient one's right
    assert re.search(r'<rect x="0\.0" y="2" width="100\.0" height="12" class="bar-low">', page.text)
    assert re.search(r'<rect x="100" y="2" width="40\.0" height="12" class="bar-high">', page.text)
    assert "Normalising the jurors would not change the outcome." in text


async def test_the_audit_log_pages_with_its_head_hash_and_the_published_heads(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    page = await client.get(PAGE)
    text = text_of(page.text)
    assert f"Head hash {120:064x}" in text  # the last record's hash, read from the log's last page
    assert "Заочный тур" in text and "ab" * 32 in text and "40" in text
    assert "Ирина Соколова juror_registered" in text and '{"name": "Юрий 1"}' in page.text.replace(
        "&#34;", '"'
    )
    assert "Юрий 51" not in page.text and "?offset=50" in page.text
    second = await client.get(PAGE, params={"offset": 100})
    assert "Юрий 101" in second.text and "Юрий 120" in second.text and "?offset=50" in second.text
    assert "Later records" not in second.text
    asked = [c.url.params.get("offset") for c in apis.calls if c.url.path == f"/contests/{C}/audit"]
    assert asked[-1] == "100"


async def test_verify_says_intact_or_names_the_first_broken_record(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    page = await client.get(f"{PAGE}/verification")
    assert page.status_code == 200 and "Intact: all 120 records chain up to the head." in page.text
    apis.verification = {"records": 120, "first_broken_sequence": 7, "intact": False}
    page = await client.get(f"{PAGE}/verification")
    text = text_of(page.text)
    assert "Broken: record 7 does not match the chain." in text
    assert f"Hash {7:064x}" in text and "Юрий 7" in text
    assert "No stage has closed yet, so no head has been published" in text


def checked_head(stage_id: str, name: str, records: int, broken: int | None) -> dict[str, object]:
    return {
        "stage_id": stage_id,
        "stage_name": name,
        "records": records,
        "audit_head_hash": f"{records:064x}",
        "passed": broken is None,
        "first_broken_sequence": broken,
    }


async def test_verify_checks_every_published_head_and_says_which_passed(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    # a record before the final's head was rewritten and the log re-hashed to its end: the chain is
    # whole, the review's head (earlier) passes, the final's does not
    apis.verification = {
        "records": 120,
        "first_broken_sequence": 90,
        "intact": False,
        "heads": [checked_head(S1, "Заочный тур", 40, None), checked_head(FINAL, "Финал", 90, 90)],
    }
    page = await client.get(f"{PAGE}/verification")
    text = text_of(page.text)
    assert "Broken: record 90 does not match the chain." in text
    table = text.split("Heads published when stages closed")[-1]
    assert f"Заочный тур 40 {40:064x} Matches" in table
    assert f"Финал 90 {90:064x} Does not match: the first broken record is 90" in table
    assert "No stage has closed yet" not in text

    apis.verification = {**apis.verification, "first_broken_sequence": None, "intact": True}
    apis.verification["heads"] = [checked_head(S1, "Заочный тур", 40, None)]
    text = text_of((await client.get(f"{PAGE}/verification")).text)
    assert "Intact: all 120 records chain up to the head." in text and "Заочный тур 40" in text


async def test_the_log_downloads_as_judging_exports_it_with_the_organisers_token(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    assert f'href="{PAGE}/export"' in (await client.get(PAGE)).text
    lines = '{"sequence": 1, "kind": "juror_registered", "payload": "{\\"name\\":\\"Юрий\\"}"}\n'
    export = f"/contests/{C}/audit/export"
    apis.refuse[("GET", export)] = httpx.Response(
        200,
        content=lines.encode(),
        headers={
            "content-type": "application/jsonl",
            "content-disposition": f'attachment; filename="audit-{C}.jsonl"',
        },
    )
    download = await client.get(f"{PAGE}/export")
    assert download.status_code == 200 and download.content == lines.encode()
    assert download.headers["content-type"] == "application/jsonl"
    assert download.headers["content-disposition"] == f'attachment; filename="audit-{C}.jsonl"'
    assert "no-store" in download.headers["cache-control"], "the console's pages are never cached"
    [asked] = [c for c in apis.calls if c.url.path == export]
    assert asked.url.host == "judging" and asked.headers["authorization"] == f"Bearer {TOKEN}"


async def test_a_stage_that_has_not_opened_has_no_report(
    client: httpx.AsyncClient, apis: ConsoleApis, organiser: str
) -> None:
    apis.stages = [stage(S1, "declared")]
    page = await client.get(PAGE)
    assert "No stage has opened yet" in page.text
    assert not [c for c in apis.calls if c.url.path.endswith("/fairness")]


async def test_the_audit_pages_without_a_session_redirect_to_the_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("", "/verification", "/export"):
        response = await client.get(PAGE + path)
        assert response.status_code == 303
        assert unquote(response.headers["location"]) == f"/console/sign-in?next={PAGE}{path}"
