"""The demo: push one entry through all three services and show what each one did."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from kaleidoscope_shared.settings import DEVELOPMENT_ORGANISER_TOKEN

from .stack import Stack

SAMPLE_ENTRY: dict[str, Any] = {
    "nomination_code": "service-guide",
    "title": "Рюкзачок знаний",
    "annotation": "Сервис выдачи тематических рюкзаков с книгами и играми для семейного чтения.",
    "authors": [
        {
            "full_name": "Заводискер Оксана Юрьевна",
            "position": "ведущий библиотекарь",
            "library": "Центральная детская библиотека ЦБС г. Белово",
            "territory_code": "belovo-city",
            "email": "zavodisker@example.org",
        }
    ],
    "consent_to_personal_data": True,
}


def sample_contest(now: datetime) -> dict[str, Any]:
    """A contest open from an hour ago until a month from now."""
    return {
        "title": "Библиотечный калейдоскоп",
        "description": "Межведомственный конкурс лучших профессиональных практик среди библиотек Кузбасса",
        "contact": "Отдел прогнозирования и развития библиотечного дела, тел. 44-18-68",
        "nominations": [
            {"code": "service-guide", "title": "Сервис гид"},
            {"code": "information-collection", "title": "Информационная коллекция"},
            {"code": "idea-generator", "title": "Генератор идей"},
        ],
        "territories": [
            {"code": "belovo-city", "name": "Беловский городской округ", "kind": "city_district"},
            {
                "code": "chebulinsky-district",
                "name": "Чебулинский муниципальный округ",
                "kind": "municipal_district",
            },
        ],
        "window": {
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(),
        },
    }


def open_contest(client: httpx.Client, submissions_url: str, organiser_token: str) -> str:
    """Create and publish the demo contest as its organiser; its id."""
    headers = {"Authorization": f"Bearer {organiser_token}"}
    created = client.post(
        f"{submissions_url}/contests", json=sample_contest(datetime.now(UTC)), headers=headers
    )
    created.raise_for_status()
    contest_id = str(created.json()["id"])
    client.post(f"{submissions_url}/contests/{contest_id}/publish", headers=headers).raise_for_status()
    return contest_id


def run_demo(
    stack: Stack,
    say: Callable[[str], None],
    timeout: float = 30.0,
    organiser_token: str = DEVELOPMENT_ORGANISER_TOKEN,
) -> dict[str, Any]:
    """Open a contest, submit one entry and wait until judging and notifications have both recorded it."""
    with httpx.Client(timeout=10) as client:
        contest_id = open_contest(client, stack.url("submissions"), organiser_token)
        say(f"submissions: contest published ({contest_id})")
        response = client.post(f"{stack.url('submissions')}/contests/{contest_id}/entries", json=SAMPLE_ENTRY)
        response.raise_for_status()
        entry = response.json()
        title = entry["content"]["title"]
        say(f"submissions: entry «{title}» recorded, revision {entry['revision']} ({entry['id']})")
        say(f"submissions: the participant's private link is {entry['private_link']}")
        deadline = time.monotonic() + timeout
        judged: list[dict[str, Any]] = []
        delivered: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not (judged and delivered):
            judged = client.get(f"{stack.url('judging')}/contests/{contest_id}/entries").json()
            delivered = [
                d
                for d in client.get(
                    f"{stack.url('notifications')}/deliveries",
                    params={"contest_id": contest_id},
                    headers={"authorization": f"Bearer {organiser_token}"},
                ).json()
                if d["status"] == "sent"
            ]
            time.sleep(0.1)
    if not (judged and delivered):
        raise RuntimeError("the entry did not reach judging and notifications in time")
    for row in judged:
        say(
            f"judging: knows entry «{row['title']}» in nomination {row['nomination_code']}, revision {row['revision']}"
        )
    for row in delivered:
        say(f"notifications: «{row['subject']}» sent to {row['recipient']} on channel {row['channel']}")
    say(f"messages written to {stack.data_dir / 'messages'}")
    return {"entry": entry, "judged": judged, "delivered": delivered}
