"""The demo: push one entry through all three services and show what each one did."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import redis

from kaleidoscope_shared.contracts import ContestAnnounced, Envelope, Nomination, Organiser, Territory

from .stack import Stack

ORGANISER_TOKEN = "organiser-dev-token"  # the development default of every service

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


def announce_contest(redis_url: str, namespace: str, contest_id: uuid.UUID) -> None:
    """Put a ContestAnnounced on the bus, as submissions does when an organiser publishes a contest
    (notifications waits for the contest before it writes to an entry's authors)."""
    now = datetime.now(UTC)
    event = ContestAnnounced(
        contest_id=contest_id,
        title="Межведомственный конкурс «Библиотечный калейдоскоп»",
        organisers=[Organiser(name="НБП «Кузбасские библиотеки»", email="org@example.org")],
        nominations=[Nomination(code="service-guide", title="Сервис гид")],
        territories=[Territory(code="belovo", name="г. Белово", kind="city_district")],
        submissions_open_at=now - timedelta(days=1),
        submissions_close_at=now + timedelta(days=30),
    )
    envelope = Envelope.wrap(event, producer="submissions", contest_id=contest_id)
    client = redis.Redis.from_url(redis_url)
    try:
        client.xadd(envelope.stream(namespace), {"envelope": envelope.model_dump_json()})
    finally:
        client.close()


def run_demo(stack: Stack, say: Callable[[str], None], timeout: float = 30.0) -> dict[str, Any]:
    """Submit one entry and wait until judging and notifications have both recorded it."""
    contest_id = str(uuid.uuid4())
    announce_contest(stack.redis_url or "", stack.namespace, uuid.UUID(contest_id))
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
                    f"{stack.url('notifications')}/deliveries",
                    params={"contest_id": contest_id},
                    headers={"authorization": f"Bearer {ORGANISER_TOKEN}"},
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
