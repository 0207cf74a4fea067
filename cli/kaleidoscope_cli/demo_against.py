"""`kaleidoscope demo --against URL`: the demo's seed contest through the gateway of a running deployment
(a container stack, a Kubernetes install, docker-compose.yml replayed as local processes behind the
gateway's nginx in tests/deploy; `kaleidoscope up` has no gateway), then what it must have produced.

The checks: 3 finalists in each of the 3 nominations; one winner per nomination, each a finalist; each
(event, recipient, channel) delivered once; a thank-you letter and a diploma per author. Then the link
people follow from a diploma: the verification address printed in its PDF, fetched through the gateway
(the deployment's public URL must be the gateway's, or the link names another host). A message's own
links are sealed in what the API shows (`[private link]`); only the message as sent carries them.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from .demo import DemoOutcome, run_demo
from .demo_client import Endpoints
from .demo_contest import seed_contest
from .scenario import Scenario
from .words import Language, Phrase, phrase, say

Say = Callable[[str], None]


@dataclass
class Checks:
    """Named checks (keys of the words), each held or not, in the order they were made."""

    results: dict[str, bool] = field(default_factory=dict)
    notes: list[Phrase] = field(default_factory=list)

    def check(self, name: str, held: bool) -> None:
        self.results[name] = held

    @property
    def failed(self) -> list[str]:
        return [name for name, held in self.results.items() if not held]

    def lines(self, language: Language = "ru") -> list[str]:
        marks = {True: say(language, "check_ok"), False: say(language, "check_failed")}
        checked = [f"{marks[held]} {say(language, name)}" for name, held in self.results.items()]
        return checked + [note(language) for note in self.notes]


def demo_against(
    gateway_url: str, organiser_token: str, tell: Say, timeout: float = 120.0, language: Language = "ru"
) -> Checks:
    """Run the seed contest through the gateway at `gateway_url` and check what it produced."""
    endpoints = Endpoints.behind_gateway(gateway_url, organiser_token)
    contest = seed_contest(datetime.now(UTC), Scenario.load())
    outcome = run_demo(endpoints, contest, tell, timeout=timeout, language=language)
    checks = outcome_checks(outcome)
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {organiser_token}"}) as http:
        follow_links(http, gateway_url.rstrip("/"), outcome, checks)
    return checks


def outcome_checks(outcome: DemoOutcome) -> Checks:
    checks = Checks()
    finalists = Counter(r["nomination_code"] for r in outcome.finalists)
    checks.check("check_finalists", sorted(finalists.values()) == [3, 3, 3])
    checks.check(
        "check_winners",
        sorted(r["place"] for r in outcome.winners) == [1, 1, 1]
        and {r["nomination_code"] for r in outcome.winners} == set(finalists)
        and {r["entry_id"] for r in outcome.winners} <= {r["entry_id"] for r in outcome.finalists},
    )
    once = Counter((d["event_id"], d["recipient"], d["channel"]) for d in outcome.deliveries)
    checks.check("check_once", bool(once) and max(once.values()) == 1)
    authors = sum(len(entry["content"]["authors"]) for entry in outcome.entries.values())
    documents = Counter(d["kind"] for d in outcome.documents)
    checks.check(
        "check_documents",
        documents["thank_you_letter"] == documents["participant_diploma"] == authors > 0,
    )
    return checks


def _through_gateway(link: str, gateway: str) -> bool:
    return link.startswith(gateway + "/")


def follow_links(http: httpx.Client, gateway: str, outcome: DemoOutcome, checks: Checks) -> None:
    """The verification link printed in a diploma, fetched through the gateway."""
    from pypdf import PdfReader

    diploma = next((d for d in outcome.documents if d["kind"] == "participant_diploma"), None)
    verify_link = ""
    if diploma is not None:
        pdf = http.get(f"{gateway}/notifications/documents/{diploma['document_id']}/pdf")
        if pdf.status_code == 200 and pdf.content.startswith(b"%PDF"):
            text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf.content)).pages)
            found = re.search(r"https?://\S+?/verify/[A-Za-z0-9-]+", text.replace("\n", ""))
            verify_link = found.group(0) if found else ""
    page = http.get(verify_link, follow_redirects=True) if _through_gateway(verify_link, gateway) else None
    checks.check(
        "check_verify_link",
        page is not None and page.status_code == 200 and verify_link.rsplit("/", 1)[1] in page.text,
    )
    checks.notes.append(phrase("diploma_link", url=verify_link or phrase("no_link")))
