"""The demo: push one entry through all three services and show what each one did."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

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
            "territory_code": "belovo",
            "email": "zavodisker@example.org",
        }
    ],
}


def run_demo(stack: Stack, say: Callable[[str], None], timeout: float = 30.0) -> dict[str, Any]:
    """Submit one entry and wait until judging and notifications have both recorded it."""
    contest_id = str(uuid.uuid4())
    with httpx.Client(timeout=10) as client:
        response = client.post(
            f"{stack.url('submissions')}/entries", json={**SAMPLE_ENTRY, "contest_id": contest_id}
        )
        response.raise_for_status()
        entry = response.json()
        say(f"submissions: entry «{entry['title']}» recorded, revision {entry['revision']} ({entry['id']})")
        deadline = time.monotonic() + timeout
        judged: list[dict[str, Any]] = []
        delivered: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not (judged and delivered):
            judged = client.get(f"{stack.url('judging')}/contests/{contest_id}/entries").json()
            delivered = [
                d
                for d in client.get(
                    f"{stack.url('notifications')}/deliveries", params={"contest_id": contest_id}
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
