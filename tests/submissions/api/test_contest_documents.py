"""A contest's document settings: its full name and the signatories its diplomas and letters print."""

from __future__ import annotations

import httpx

from submissions.domain.contest import ContestRules, DocumentSettings, Signatory
from submissions.domain.integration_events import contest_announced

from ..conftest import make_contest
from .conftest import ORGANISER, contest_body

FULL_TITLE = "Межведомственный конкурс лучших профессиональных практик «Библиотечный калейдоскоп»"
SIGNATORIES = [
    {"name": "Т. В. Гордеева", "position": "Директор ГАУК «Кузбасская областная научная библиотека»"},
    {"name": "О. А. Семенова", "position": "Председатель жюри"},
]


async def test_the_signatories_and_full_title_are_kept_with_the_contest(client: httpx.AsyncClient) -> None:
    rules = {"documents": {"full_title": FULL_TITLE, "signatories": SIGNATORIES}}
    created = await client.post("/contests", json=contest_body(rules=rules), headers=ORGANISER)
    assert created.status_code == 201, created.text
    stored = (await client.get(f"/contests/{created.json()['id']}", headers=ORGANISER)).json()
    assert stored["rules"]["documents"] == {"full_title": FULL_TITLE, "signatories": SIGNATORIES}


async def test_more_than_three_signatories_or_a_nameless_one_is_422(client: httpx.AsyncClient) -> None:
    four = {"documents": {"signatories": [{"name": f"Подписант {n}"} for n in range(4)]}}
    nameless = {"documents": {"signatories": [{"name": " ", "position": "Директор"}]}}
    for rules in (four, nameless):
        response = await client.post("/contests", json=contest_body(rules=rules), headers=ORGANISER)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"


def test_contest_announced_carries_what_the_documents_print() -> None:
    documents = DocumentSettings(
        full_title=FULL_TITLE, signatories=tuple(Signatory.model_validate(s) for s in SIGNATORIES)
    )
    event = contest_announced(make_contest().model_copy(update={"rules": ContestRules(documents=documents)}))
    assert event.full_title == FULL_TITLE
    assert [(s.name, s.position) for s in event.signatories] == [
        (s["name"], s["position"]) for s in SIGNATORIES
    ]
    assert contest_announced(make_contest()).signatories == []  # none configured: no signature lines
