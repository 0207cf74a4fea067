"""The event contracts may only grow: an incompatible change to a published schema fails the build.

Each event's JSON schema is kept in `contract_snapshots/`. A compatible change (a new optional field)
fails too, until the snapshot is refreshed with `KALEIDOSCOPE_UPDATE_SNAPSHOTS=1 make test` — so every
contract change is a reviewed diff. A missing snapshot fails as well (the test writes into the tree only
when asked to). A breaking change needs a new class with `version = 2`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from kaleidoscope_shared.contracts import ALL_EVENTS, Envelope, Event, event_class, parse_payload
from kaleidoscope_shared.contracts.asyncapi import build_document

from .probe import entry

SNAPSHOTS = Path(__file__).parent / "contract_snapshots"
ASYNCAPI = Path(__file__).parents[2] / "docs" / "asyncapi.json"


def breaking_changes(old: dict[str, Any], new: dict[str, Any], where: str = "") -> list[str]:
    """What in `new` would break a consumer written against `old` (removed, retyped or newly required)."""
    problems: list[str] = []
    for name, old_field in old.get("properties", {}).items():
        new_field = new.get("properties", {}).get(name)
        if new_field is None:
            problems.append(f"{where}{name}: removed")
        elif _shape(old_field) != _shape(new_field):
            problems.append(f"{where}{name}: type changed from {_shape(old_field)} to {_shape(new_field)}")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{where}{name}: newly required")
    for name, old_def in old.get("$defs", {}).items():
        if name in new.get("$defs", {}):
            problems += breaking_changes(old_def, new["$defs"][name], f"{where}{name}.")
    return problems


def _shape(field: dict[str, Any]) -> Any:
    keys = ("type", "$ref", "anyOf", "items", "enum", "const", "format")
    return {k: field[k] for k in keys if k in field}


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: f"{e.event_type}.v{e.version}")
def test_event_schema_only_grows(event: type[Event]) -> None:
    path = SNAPSHOTS / f"{event.event_type}.v{event.version}.json"
    current = event.model_json_schema()
    if os.environ.get("KALEIDOSCOPE_UPDATE_SNAPSHOTS") == "1":
        path.write_text(json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    if not path.exists():
        pytest.fail(f"no snapshot {path.name}: make it with KALEIDOSCOPE_UPDATE_SNAPSHOTS=1 and commit it")
    snapshot = json.loads(path.read_text())
    problems = breaking_changes(snapshot, current)
    assert not problems, (
        f"{event.__name__} v{event.version} changed incompatibly: {problems}; add a v2 instead"
    )
    assert current == snapshot, (
        f"{event.__name__}'s schema grew compatibly; refresh {path.name} with KALEIDOSCOPE_UPDATE_SNAPSHOTS=1"
    )


def test_removing_a_field_is_reported_as_breaking() -> None:
    old = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}
    new = {"properties": {"a": {"type": "integer"}, "c": {"type": "string"}}, "required": ["a", "c"]}
    assert sorted(breaking_changes(old, new)) == [
        "a: type changed from {'type': 'string'} to {'type': 'integer'}",
        "b: removed",
        "c: newly required",
    ]


def test_every_event_has_its_own_versioned_stream() -> None:
    streams = [event.stream() for event in ALL_EVENTS]
    assert len(set(streams)) == len(streams)
    assert all(s.startswith("kaleidoscope.") and s.rsplit(".", 1)[1].startswith("v") for s in streams)
    assert event_class("entry-submitted", 1).__name__ == "EntrySubmitted"


def test_an_envelope_round_trips_with_its_lineage() -> None:
    cause = Envelope.wrap(entry("Рюкзачок знаний"), producer="submissions")
    effect = Envelope.wrap(entry("Красная книга"), producer="judging", causation=cause)
    assert effect.correlation_id == cause.correlation_id == cause.event_id
    assert effect.causation_id == cause.event_id
    back = Envelope.model_validate_json(effect.model_dump_json())
    assert parse_payload(back) == parse_payload(effect)


def test_the_committed_asyncapi_document_matches_the_code() -> None:
    assert json.loads(ASYNCAPI.read_text()) == build_document(), (
        "run `make asyncapi` and commit docs/asyncapi.json"
    )
