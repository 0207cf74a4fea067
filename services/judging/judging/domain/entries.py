"""Entries as judging sees them: a nomination, authors (for conflicts) and a submission time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

EntryId = str
"""An entry's id as text (the service layer passes `str(uuid)`); ids order deterministically."""


@dataclass(frozen=True, slots=True)
class Author:
    """One author of an entry: only the facts conflict-of-interest rules look at."""

    full_name: str
    library: str
    territory_code: str


@dataclass(frozen=True, slots=True)
class Entry:
    """A practice or project in exactly one nomination; withdrawn entries are never judged or ranked."""

    entry_id: EntryId
    nomination_code: str
    authors: tuple[Author, ...]
    submitted_at: datetime
    title: str = ""
    withdrawn: bool = False


def entries_in_play(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """The entries a stage judges: not withdrawn, in id order."""
    return tuple(sorted((e for e in entries if not e.withdrawn), key=lambda e: e.entry_id))
