"""Each service answers as its OpenAPI document says: schemathesis drives the real app in-process (ASGI,
SQLite, a real Redis) with every check, for each role that calls it, and finds nothing.

Every phase runs (examples, coverage, fuzzing, stateful), positive and negative data, a fixed seed and
a bounded number of examples per operation. The data the operations need is seeded first (a published
contest and an entry in submissions; an announced contest and a juror in judging) and handed to
schemathesis as the path parameters' values, so that requests get past the 404 of an unknown id.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from redis.asyncio import Redis
from schemathesis.engine import events, from_schema
from schemathesis.python import asgi
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from judging.adapters.tables import ContestCopy
from judging.bootstrap import bootstrap
from judging.main import create_app as create_judging_app
from notifications.main import create_app as create_notifications_app
from notifications.settings import NotificationsSettings
from submissions.main import create_app as create_submissions_app
from submissions.settings import SubmissionsSettings

from ..judging.service.judging_kit import publish, running_worker, seed_events, settings_for

ORGANISER_TOKEN = "organiser-token-for-the-contract-tests-0123456789"
ORGANISER = {"Authorization": f"Bearer {ORGANISER_TOKEN}"}
GRANT_KEY = "grant-key-for-the-contract-tests-0123456789abcdef"
MAX_EXAMPLES = 20
SEED = 20240515

EXCLUDED_CHECKS: dict[str, str] = {
    # None: every check of `schemathesis.checks` runs. A check left out goes here with its reason.
}
ALSO_ACCEPTED: dict[tuple[str, str], tuple[frozenset[int], str]] = {
    # Schema-valid requests a service may still refuse, with the status it refuses them with, and why
    # no document can say more (positive_data_acceptance is the only check these relax).
    ("POST /contests/{contest_id}/attachments", "positive_data_acceptance"): (
        frozenset({415}),
        "an upload's type is read from its bytes (PDF, PNG, JPEG, DOCX, ODT by default): random bytes "
        "that a media type's schema (`format: binary`) allows are refused as not that type",
    ),
    ("POST /contests/{contest_id}/entries", "positive_data_acceptance"): (
        frozenset({422}),
        "an entry's nomination and territory codes must be the contest's own, its files uploaded to the "
        "contest first, and consent must be given",
    ),
    ("POST /contests", "positive_data_acceptance"): (
        frozenset({422}),
        "a contest's window must close after it opens",
    ),
    ("PATCH /contests/{contest_id}", "positive_data_acceptance"): (
        frozenset({422}),
        "the changed contest must still hold: unique nomination codes, a window that closes after it opens",
    ),
    ("DELETE /contests/{contest_id}/stages/{stage_id}", "positive_data_acceptance"): (
        frozenset({422}),
        "the stages left must still make a contest's judging: at least one stage",
    ),
    ("POST /contests/{contest_id}/stages", "positive_data_acceptance"): (
        frozenset({422}),
        "a stage definition has rules across its fields: a final awards places and only a final does, "
        "a score threshold needs its minimum, criteria have different names, the stages stay in order",
    ),
    ("PUT /contests/{contest_id}/stages/{stage_id}", "positive_data_acceptance"): (
        frozenset({422}),
        "as for declaring a stage: the definition's rules across its fields",
    ),
    ("PUT /contests/{contest_id}/stages/{stage_id}/awards", "positive_data_acceptance"): (
        frozenset({422}),
        "a cash prize needs a positive amount and a currency; places and mentions name the final's entries",
    ),
    (
        "PUT /contests/{contest_id}/stages/{stage_id}/entries/{entry_id}/my-score",
        "positive_data_acceptance",
    ): (
        frozenset({422}),
        "marks name the stage's own criteria, each within its scale",
    ),
    ("PUT /recipients/{recipient}/preferences", "positive_data_acceptance"): (
        frozenset({422}),
        "channels are the plugins installed in the deployment, and a webhook's address must be public",
    ),
    ("PATCH /entries/{entry_id}", "positive_data_acceptance"): (
        frozenset({422}),
        "an entry's nomination and territory codes must be the contest's own, its files uploaded to the "
        "contest first",
    ),
}


@dataclass
class Target:
    """One run: a service's app, the headers of a role, and the path parameters' seeded values."""

    service: str
    app: FastAPI
    headers: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)


def run_schemathesis(target: Target) -> list[str]:
    """Every failure schemathesis finds, one line each (operation, check, what and the request)."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "continue-on-failure": True,
            "suppress-health-check": ["all"],
            "headers": target.headers,
            "parameters": target.parameters,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "mode": "all",
                # A lone surrogate is no Unicode: the services refuse it (422) wherever it is.
                "codec": "utf-8",
            },
            "checks": {name: {"enabled": False} for name in EXCLUDED_CHECKS},
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", target.app, config=config)
    found: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            found += _failures(event)
        elif isinstance(event, events.NonFatalError):
            found.append(f"{event.label}: error {event.info.title}: {event.info.message}"[:1000])
        elif isinstance(event, events.FatalError):
            found.append(f"fatal: {event.exception!r}")
    return found


def _failures(event: events.ScenarioFinished) -> Iterator[str]:
    for case_id, checks in event.recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            interaction = event.recorder.interactions.get(case_id)
            seen = ""
            if interaction is not None and interaction.response is not None:
                request, response = interaction.request, interaction.response
                operation = event.recorder.cases[case_id].value.operation.label
                accepted = ALSO_ACCEPTED.get((operation, check.name))
                if accepted is not None and response.status_code in accepted[0]:
                    continue
                seen = (
                    f" | {request.method} {request.uri} body={(request.body or b'')[:3000]!r}"
                    f" -> {response.status_code} {response.content[:300]!r}"
                )
            yield f"{event.recorder.label}: {check.name}: {check.failure_info.failure.title}{seen}"


@pytest.fixture
def stop_lifespans() -> Iterator[None]:
    """The apps' lifespans (started by schemathesis on its event loop) end with the test."""
    yield
    asgi.shutdown_lifespans()


def throttle_settings() -> dict[str, Any]:
    # Generated tokens are refused by the thousand: the throttle stays on (its 429 is documented)
    # but lets the run reach the routes rather than answer 429 to every credentialed request.
    return {"auth_failures_per_minute": 1_000_000, "auth_failures_per_prefix_per_minute": 1_000_000}


def assert_conforms(target: Target) -> None:
    started = time.monotonic()
    failures = run_schemathesis(target)
    elapsed = time.monotonic() - started
    kinds: dict[str, list[str]] = {}
    for failure in failures:
        kinds.setdefault(failure.split(" | ")[0] + " " + failure.rsplit(" -> ", 1)[-1][:3], []).append(
            failure
        )
    report = "\n".join(f"{len(seen)}x {seen[0][:1500]}" for _, seen in sorted(kinds.items()))
    assert not failures, f"{len(failures)} failures in {elapsed:.0f}s:\n{report}"


# --- submissions --------------------------------------------------------------------------------------


def contest_body() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "title": "Library kaleidoscope",
        "nominations": [{"code": "service-guide", "title": "Service guide"}],
        "territories": [{"code": "belovo-city", "name": "Belovo", "kind": "city_district"}],
        "window": {
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(),
        },
    }


def entry_body() -> dict[str, Any]:
    return {
        "nomination_code": "service-guide",
        "title": "Backpack of knowledge",
        "authors": [
            {
                "full_name": "Oksana Zavodisker",
                "position": "librarian",
                "library": "Central children's library",
                "territory_code": "belovo-city",
                "email": "o.zavodisker@example.org",
            }
        ],
        "links": ["https://example.org/backpack"],
        "consent_to_personal_data": True,
    }


def submissions_target(tmp_path: Path, redis_url: str, namespace: str, role: str) -> Target:
    settings = SubmissionsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/submissions.db",
        redis_url=redis_url,
        bus_namespace=namespace,
        data_dir=str(tmp_path / "data"),
        environment="test",
        organiser_token=ORGANISER_TOKEN,  # type: ignore[arg-type]
        public_base_url="https://contest.example.org",
        grant_key=GRANT_KEY,  # type: ignore[arg-type]
        log_level="ERROR",
        **throttle_settings(),
    )
    app = create_submissions_app(settings)
    with asgi.get_client(cast(Any, app)) as client:
        created = client.post("http://testserver/contests", json=contest_body(), headers=ORGANISER)
        assert created.status_code == 201, created.text
        contest_id = created.json()["id"]
        published = client.post(f"http://testserver/contests/{contest_id}/publish", headers=ORGANISER)
        assert published.status_code == 200, published.text
        submitted = client.post(f"http://testserver/contests/{contest_id}/entries", json=entry_body())
        assert submitted.status_code == 201, submitted.text
        receipt = submitted.json()
    headers = {
        "anonymous": {},
        "organiser": ORGANISER,
        "participant": {"Authorization": f"Bearer {receipt['token']}"},
    }[role]
    return Target("submissions", app, headers, {"contest_id": contest_id, "entry_id": str(receipt["id"])})


@pytest.mark.parametrize("role", ["anonymous", "organiser", "participant"])
def test_submissions_answers_as_documented(
    role: str, tmp_path: Path, redis_url: str, namespace: str, stop_lifespans: None
) -> None:
    assert_conforms(submissions_target(tmp_path, redis_url, namespace, role))


# --- judging ------------------------------------------------------------------------------------------


def judging_target(tmp_path: Path, redis_url: str, namespace: str, role: str) -> Target:
    settings = settings_for(
        f"sqlite+aiosqlite:///{tmp_path}/judging.db",
        redis_url,
        namespace,
        organiser_token=ORGANISER_TOKEN,
        log_level="ERROR",
        **throttle_settings(),
    )
    contest_id = uuid.uuid4()
    asyncio.run(_announce(settings, redis_url, namespace, contest_id))
    app = create_judging_app(settings)
    with asgi.get_client(cast(Any, app)) as client:
        juror = client.post(
            f"http://testserver/contests/{contest_id}/jurors",
            json={
                "name": "Juror One",
                "position": "expert",
                "library": "Library 3",
                "territory_code": "t-0",
                "email": "juror1@example.org",
            },
            headers=ORGANISER,
        )
        assert juror.status_code == 201, juror.text
    headers = {
        "anonymous": {},
        "organiser": ORGANISER,
        "juror": {"Authorization": f"Bearer {juror.json()['token']}"},
    }[role]
    return Target("judging", app, headers, {"contest_id": str(contest_id)})


async def _announce(settings: Any, redis_url: str, namespace: str, contest_id: uuid.UUID) -> None:
    """The contest announced and six entries taken in, through the bus and judging's own worker."""

    redis = Redis.from_url(redis_url)
    try:
        await publish(redis, namespace, *seed_events(contest_id, count=6))
    finally:
        await redis.aclose()

    async def closed() -> bool:
        runtime = bootstrap(settings)
        try:
            async with runtime.sessions() as session:
                contest = await session.scalar(select(ContestCopy).where(col(ContestCopy.id) == contest_id))
                return bool(contest and contest.submissions_closed)
        except OperationalError:  # the worker has not made its tables yet
            return False
        finally:
            await runtime.close()

    async with running_worker(settings):
        deadline = time.monotonic() + 30
        while not await closed():
            assert time.monotonic() < deadline, "judging did not take the contest in"
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("role", ["anonymous", "organiser", "juror"])
def test_judging_answers_as_documented(
    role: str, tmp_path: Path, redis_url: str, namespace: str, stop_lifespans: None
) -> None:
    assert_conforms(judging_target(tmp_path, redis_url, namespace, role))


# --- notifications ------------------------------------------------------------------------------------


def notifications_target(tmp_path: Path, redis_url: str, namespace: str, role: str) -> Target:
    settings = NotificationsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/notifications.db",
        redis_url=redis_url,
        bus_namespace=namespace,
        data_dir=str(tmp_path / "data"),
        default_channels=["file"],
        environment="test",
        organiser_token=ORGANISER_TOKEN,  # type: ignore[arg-type]
        grant_key=GRANT_KEY,  # type: ignore[arg-type]
        log_level="ERROR",
        **throttle_settings(),
    )
    app = create_notifications_app(settings)
    headers = {"anonymous": {}, "organiser": ORGANISER}[role]
    return Target("notifications", app, headers, {"recipient": "o.zavodisker@example.org"})


@pytest.mark.parametrize("role", ["anonymous", "organiser"])
def test_notifications_answers_as_documented(
    role: str, tmp_path: Path, redis_url: str, namespace: str, stop_lifespans: None
) -> None:
    assert_conforms(notifications_target(tmp_path, redis_url, namespace, role))
