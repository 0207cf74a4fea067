"""A small contest run through the web front: the stack, the organiser's API calls, the e-mails."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any

import httpx

from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN

from ..polling import wait_until

ORGANISER = {"Authorization": f"Bearer {DEVELOPMENT_ORGANISER_TOKEN}"}
NOMINATION = "service-guide"


def contest_body() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "title": "Библиотечный калейдоскоп",
        "description": "Конкурс лучших профессиональных практик библиотек Кузбасса",
        "organisers": [{"name": "Кемеровская областная научная библиотека им. В.Д. Фёдорова"}],
        "nominations": [
            {"code": NOMINATION, "title": "Сервис гид", "description": "Услуги для читателей"},
            {"code": "idea-generator", "title": "Генератор идей", "description": "Просветительские проекты"},
        ],
        "territories": [
            {
                "code": "anzhero-sudzhensk",
                "name": "Анжеро-Судженский городской округ",
                "kind": "city_district",
            },
            {"code": "belovo", "name": "Беловский городской округ", "kind": "city_district"},
            {"code": "tisul", "name": "Тисульский муниципальный район", "kind": "municipal_district"},
        ],
        "window": {
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=2)).isoformat(),
        },
    }


class Organiser:
    """What the organiser's console will do; until then, the organiser's API calls."""

    def __init__(self, submissions: str, judging: str) -> None:
        self.submissions = httpx.Client(base_url=submissions, headers=ORGANISER, timeout=30)
        self.judging = httpx.Client(base_url=judging, headers=ORGANISER, timeout=30)

    def call(self, client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
        response = client.request(method, path, **kwargs)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else None

    def open_contest(self) -> str:
        contest = self.call(self.submissions, "POST", "/contests", json=contest_body())
        self.call(self.submissions, "POST", f"/contests/{contest['id']}/publish")
        return str(contest["id"])

    def open_stage(self, contest_id: str, stage_id: str) -> dict[str, Any]:
        def opened() -> Any:
            response = self.judging.post(f"/contests/{contest_id}/stages/{stage_id}/open")
            if response.status_code == 409:
                return None
            assert response.status_code < 400, response.text
            return response.json()

        return wait_until(opened, 60, "judging to learn the final list of entries")


def messages_to(messages: Path, address: str) -> list[email.message.EmailMessage]:
    """The e-mails the file channel wrote for `address`, oldest first."""
    found = []
    for path in sorted(messages.glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in str(message["To"]):
            found.append(message)
    return found


def text_of(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""


def link_in(messages: Path, address: str, pattern: str, timeout: float = 60) -> str:
    """The first link matching `pattern` in an e-mail to `address` (waiting for it to be written)."""
    regex = re.compile(pattern)

    def found() -> str | None:
        for message in messages_to(messages, address) if messages.exists() else []:
            match = regex.search(text_of(message))
            if match:
                return match.group(0)
        return None

    return str(wait_until(found, timeout, f"an e-mail to {address} with {pattern}"))
