"""The seed contest as submissions' domain objects: "Библиотечный калейдоскоп" of the Kemerovo region,
with 34 entries from 19 territories.

The data is the demo's (`kaleidoscope_cli/scenarios/contest.json` and `entries.json`, the one copy):
3 nominations, 10 city and 9 municipal districts, 34 entries. The three winners are real people named
in the contest's public report; everyone else is fictional, with addresses at example.org. The dates
are illustrative. Read as package data, so the service itself never depends on the CLI.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from functools import cache
from importlib import resources
from typing import Any

from submissions.domain.contest import Contest
from submissions.domain.entry import Entry, EntryContent
from submissions.domain.tokens import hash_entry_token

SEED_PACKAGE = "kaleidoscope_cli.scenarios"


def load_seed_contest() -> Contest:
    """The seed contest, published, with its submission window from `contest.json`."""
    return Contest.model_validate(_read("contest.json"))


def load_seed_entries(contest: Contest | None = None) -> list[Entry]:
    """The 34 seed entries, each at revision 1, in the order they were submitted."""
    contest_id = (contest or load_seed_contest()).id
    return [_entry(raw, contest_id) for raw in _read("entries.json")]


def seed_entry_token(entry_id: uuid.UUID) -> str:
    """The private token of a seed entry, derived from its id so that the demo can print its link.

    Demo data only: anyone who knows an id can derive this token.
    """
    return hashlib.sha256(f"kaleidoscope-seed-entry:{entry_id}".encode()).hexdigest()


def _entry(raw: dict[str, Any], contest_id: uuid.UUID) -> Entry:
    entry_id = uuid.UUID(raw["id"])
    content = EntryContent.model_validate({k: v for k, v in raw.items() if k not in {"id", "submitted_at"}})
    return Entry.model_validate(
        {
            "id": entry_id,
            "contest_id": contest_id,
            "revision": 1,
            "content": content,
            "submitted_at": raw["submitted_at"],
            "updated_at": raw["submitted_at"],
            "token_sha256": hash_entry_token(seed_entry_token(entry_id)),
        }
    )


@cache
def _read_text(name: str) -> str:
    return resources.files(SEED_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def _read(name: str) -> Any:
    return json.loads(_read_text(name))
