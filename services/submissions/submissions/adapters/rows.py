"""Translations between the domain's immutable models and the SQL rows that store them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, overload

from ..domain.contest import Contest
from ..domain.entry import Entry, EntryContent
from ..domain.text import normalise_title
from .search import search_document
from .tables import ContestRow, EntryRow


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """Stored datetimes are in UTC: SQLite keeps a datetime's wall clock and drops its offset."""
    return value.astimezone(UTC) if value is not None else None


def contest_to_row(contest: Contest, created_at: datetime) -> ContestRow:
    data = contest.model_dump(mode="json")
    return ContestRow(
        id=contest.id,
        title=contest.title,
        description=contest.description,
        contact=contest.contact,
        organisers=data["organisers"],
        nominations=data["nominations"],
        territories=data["territories"],
        rules=data["rules"],
        window=data["window"],
        time_zone=contest.time_zone,
        opens_at=utc(contest.window.opens_at),
        closes_at=utc(contest.window.closes_at),
        status=contest.status.value,
        published_at=utc(contest.published_at),
        submissions_closed_at=utc(contest.submissions_closed_at),
        created_at=utc(created_at),
        revision=contest.revision,
    )


def contest_values(contest: Contest) -> dict[str, Any]:
    """The contests table's columns an amendment may change (all but the id and creation time)."""
    row = contest_to_row(contest, datetime.now(UTC))
    names = (
        "title", "description", "contact", "organisers", "nominations", "territories", "rules",
        "window", "time_zone", "opens_at", "closes_at", "status", "published_at",
        "submissions_closed_at", "revision",
    )  # fmt: skip
    return {name: getattr(row, name) for name in names}


def row_to_contest(row: Any) -> Contest:
    """`row`: a ContestRow or a Core row of the contests table (the same attribute names)."""
    return Contest.model_validate(
        {
            "id": row.id,
            "title": row.title,
            "description": row.description,
            "contact": row.contact,
            "organisers": row.organisers,
            "nominations": row.nominations,
            "territories": row.territories,
            "rules": row.rules,
            "window": row.window,
            "time_zone": row.time_zone,
            "status": row.status,
            "published_at": aware(row.published_at),
            "submissions_closed_at": aware(row.submissions_closed_at),
            "revision": row.revision,
        }
    )


def entry_values(entry: Entry) -> dict[str, Any]:
    """The entries table's columns for `entry` (except judging's progress, which keeps its default)."""
    return {
        "id": entry.id,
        "contest_id": entry.contest_id,
        "revision": entry.revision,
        "status": entry.status.value,
        "nomination_code": entry.content.nomination_code,
        "title": entry.content.title,
        "content": entry.content.model_dump(mode="json"),
        "search_document": search_document(entry),
        "token_sha256": entry.token_sha256,
        "submitted_at": utc(entry.submitted_at),
        "updated_at": utc(entry.updated_at),
        "withdrawn_at": utc(entry.withdrawn_at),
        "withdrawal_reason": entry.withdrawal_reason,
    }


def entry_to_row(entry: Entry) -> EntryRow:
    return EntryRow(**entry_values(entry))


def row_to_entry(row: Any) -> Entry:
    """`row`: an EntryRow or a Core row of the entries table (the same attribute names)."""
    return Entry.model_validate(
        {
            "id": row.id,
            "contest_id": row.contest_id,
            "revision": row.revision,
            "status": row.status,
            "content": EntryContent.model_validate(row.content),
            "submitted_at": aware(row.submitted_at),
            "updated_at": aware(row.updated_at),
            "withdrawn_at": aware(row.withdrawn_at),
            "withdrawal_reason": row.withdrawal_reason,
            "token_sha256": row.token_sha256,
        }
    )


def author_values(entry: Entry) -> list[dict[str, Any]]:
    """The entry_authors table's rows for `entry`, in the order its content lists the authors."""
    return [
        {
            "entry_id": entry.id,
            "position": position,
            "contest_id": entry.contest_id,
            "full_name": author.full_name,
            "territory_code": author.territory_code,
            "email": author.email,
        }
        for position, author in enumerate(entry.content.authors)
    ]


def key_digest(key: str) -> str:
    """What entry_author_keys stores for an identity key or a folded title: its SHA-256, in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def author_key_values(entry: Entry, slots: Mapping[str, int]) -> list[dict[str, Any]]:
    """The entry_author_keys table's rows for `entry`, one per author identity key, each holding the
    slot `slots` gives it; none for a withdrawn entry, whose slots and title are free again."""
    if entry.is_withdrawn:
        return []
    title_key = key_digest(normalise_title(entry.content.title))
    return [
        {
            "entry_id": entry.id,
            "author_key": key_digest(key),
            "contest_id": entry.contest_id,
            "nomination_code": entry.content.nomination_code,
            "title_key": title_key,
            "slot": slots[key],
        }
        for key in sorted(entry.content.author_keys())
    ]
