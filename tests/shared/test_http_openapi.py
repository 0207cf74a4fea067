"""The OpenAPI document of each service says every answer its operations give (problem documents for
errors, the bearer scheme where a credential is needed), and two answers the document fuzzing found
wrong stay fixed: a 405 names every method of the path, and a DELETE body is held to the input rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from judging.main import create_app as create_judging_app
from judging.settings import JudgingSettings
from kaleidoscope_shared.http.app import create_service_app
from kaleidoscope_shared.http.auth_first import organiser_routes
from kaleidoscope_shared.http.docs import BEARER_SCHEME
from kaleidoscope_shared.http.problems import PROBLEM_JSON
from notifications.main import create_app as create_notifications_app
from notifications.settings import NotificationsSettings
from submissions.main import create_app as create_submissions_app
from submissions.settings import SubmissionsSettings

from .probe import probe_runtime

NO_REDIS = "redis://127.0.0.1:1/0"  # no lifespan is entered: neither the database nor Redis is asked
PROBLEM = {"$ref": "#/components/schemas/Problem"}


def apps(tmp_path: Path) -> dict[str, FastAPI]:
    common: dict[str, Any] = {"redis_url": NO_REDIS, "environment": "test", "log_level": "ERROR"}
    return {
        "submissions": create_submissions_app(
            SubmissionsSettings(
                database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db", data_dir=str(tmp_path), **common
            )
        ),
        "judging": create_judging_app(
            JudgingSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/j.db", **common)
        ),
        "notifications": create_notifications_app(
            NotificationsSettings(
                database_url=f"sqlite+aiosqlite:///{tmp_path}/n.db", data_dir=str(tmp_path), **common
            )
        ),
    }


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_error_answer_is_a_problem_and_every_database_route_may_be_503(tmp_path: Path) -> None:
    for name, app in apps(tmp_path).items():
        document = app.openapi()
        assert "HTTPValidationError" not in document["components"]["schemas"], name
        assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]
        for method, path, operation in operations(document):
            responses = operation["responses"]
            for code, response in responses.items():
                if int(code) >= 400:
                    assert response["content"] == {PROBLEM_JSON: {"schema": PROBLEM}}, (
                        name,
                        method,
                        path,
                        code,
                    )
            if path != "/health" and not path.startswith("/templates") and path != "/channels":
                assert "Retry-After" in responses["503"]["headers"], (name, method, path)
            if "{" in path:
                assert {"404", "422"} <= responses.keys(), (name, method, path)
            if "requestBody" in operation:
                assert {"413", "422"} <= responses.keys(), (name, method, path)


def test_organiser_routes_require_the_bearer_and_say_401_403_429(tmp_path: Path) -> None:
    for name, app in apps(tmp_path).items():
        document = app.openapi()
        marked = organiser_routes(app)
        assert marked, name
        for method, path in marked:
            operation = document["paths"][path][method.lower()]
            assert operation["security"] == [{BEARER_SCHEME: []}], (name, method, path)
            assert {"401", "403", "429"} <= operation["responses"].keys(), (name, method, path)
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


def test_credentials_other_than_the_organisers_are_documented_where_they_are_checked(tmp_path: Path) -> None:
    documents = {name: app.openapi() for name, app in apps(tmp_path).items()}
    entry = documents["submissions"]["paths"]["/entries/{entry_id}"]["get"]
    assert entry["security"] == [{BEARER_SCHEME: []}, {}] and {"404", "429"} <= entry["responses"].keys()
    juror = documents["judging"]["paths"]["/jurors/me"]["get"]
    assert juror["security"] == [{BEARER_SCHEME: []}] and {"401", "429"} <= juror["responses"].keys()
    upload = documents["submissions"]["paths"]["/contests/{contest_id}/attachments"]["post"]
    assert upload["requestBody"]["content"]["application/pdf"]["schema"] == {
        "type": "string",
        "format": "binary",
    }
    assert {"409", "413", "415", "429"} <= upload["responses"].keys()


class Reason(BaseModel):
    reason: str


def probe_app(tmp_path: Path) -> FastAPI:
    runtime, _ = probe_runtime(f"sqlite+aiosqlite:///{tmp_path}/probe.db", NO_REDIS, "openapi")
    app = create_service_app("probe", runtime)

    @app.get("/things")
    async def list_things() -> list[str]:
        return []

    @app.post("/things")
    async def add_thing() -> None:
        return None

    @app.delete("/things/{name}")
    async def remove_thing(name: str, body: Reason) -> dict[str, str]:
        return {"removed": name, "reason": body.reason}

    return app


@pytest.fixture
async def client(tmp_path: Path) -> Any:
    transport = httpx.ASGITransport(app=probe_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as http:
        yield http


async def test_a_405_names_every_method_the_path_takes(client: httpx.AsyncClient) -> None:
    answer = await client.put("/things")
    assert answer.status_code == 405
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.headers["allow"] == "GET, POST"  # not only the first route's POST


async def test_a_delete_body_with_a_control_character_is_refused_like_any_other(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.request("DELETE", "/things/a", json={"reason": "gone\u000f"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["location"] == ["body", "reason"]
    kept = await client.request("DELETE", "/things/a", json={"reason": "gone\n"})
    assert kept.json() == {"removed": "a", "reason": "gone\n"}
