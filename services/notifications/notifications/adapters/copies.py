"""Reading and writing this service's copies of contests and entries, and turning them into the
domain's `ContestView` (only the entries an event refers to: a contest may hold 10,000)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from kaleidoscope_shared.contracts import Author, Organiser, Signatory

from ..domain import ContestView, EntryView, Person
from ..domain.kinds import language_or_default
from .tables import ContestCopy, EntryCopy, PreferenceRow

CHUNK = 500  # keeps IN (...) lists within every backend's limits


def author_record(author: Author) -> dict[str, Any]:
    email = str(author.email) if author.email else None
    return {
        "key": (email or f"name:{author.full_name}").strip().lower(),
        "name": author.full_name,
        "email": email,
        "language": author.language,
        "position": author.position,
        "library": author.library,
        "territory_code": author.territory_code,
    }


def organiser_record(organiser: Organiser) -> dict[str, Any]:
    email = str(organiser.email) if organiser.email else None
    return {"key": (email or f"name:{organiser.name}").lower(), "name": organiser.name, "email": email}


SIGNATORY = "signatory"
FULL_TITLE = "full_title"
"""The contests table's `organisers` JSON also holds what the contest's documents print, as records
with a `role`: each signatory (name, position) and the contest's full name. `contest_view` reads them
apart from the organisers, who are people to notify."""


def document_records(full_title: str, signatories: Iterable[Signatory]) -> list[dict[str, Any]]:
    records = [{"role": SIGNATORY, "name": s.name, "position": s.position} for s in signatories]
    return records + ([{"role": FULL_TITLE, "name": full_title}] if full_title else [])


def person(record: dict[str, Any]) -> Person:
    return Person(
        key=record["key"],
        name=record["name"],
        email=record.get("email"),
        language=language_or_default(record.get("language")),
        position=record.get("position", ""),
        library=record.get("library", ""),
        territory_code=record.get("territory_code", ""),
    )


async def entries_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, EntryCopy]:
    wanted = list(dict.fromkeys(ids))
    found: dict[uuid.UUID, EntryCopy] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows = await session.execute(select(EntryCopy).where(col(EntryCopy.entry_id).in_(chunk)))
        found |= {row.entry_id: row for row in rows.scalars()}
    return found


def entry_view(row: EntryCopy) -> EntryView:
    return EntryView(
        entry_id=row.entry_id,
        title=row.title,
        nomination_code=row.nomination_code,
        authors=tuple(person(a) for a in row.authors),
        private_link=row.private_link,
        revision=row.revision,
        finalist=row.finalist,
        place=row.place,
    )


def contest_view(contest: ContestCopy, entries: Iterable[EntryCopy]) -> ContestView:
    return ContestView(
        contest_id=contest.contest_id,
        title=contest.title,
        nominations=dict(contest.nominations),
        organisers=tuple(person(o) for o in contest.organisers if "role" not in o),
        entries={row.entry_id: entry_view(row) for row in entries},
        contact=contest.contact,
        final_date=contest.final_date,
        final_place=contest.final_place,
        full_title=next((o["name"] for o in contest.organisers if o.get("role") == FULL_TITLE), ""),
        signatories=tuple(
            (o["name"], o.get("position", "")) for o in contest.organisers if o.get("role") == SIGNATORY
        ),
    )


async def preferences_of(session: AsyncSession, keys: Collection[str]) -> dict[str, PreferenceRow]:
    wanted = list(keys)
    found: dict[str, PreferenceRow] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows = await session.execute(select(PreferenceRow).where(col(PreferenceRow.person_key).in_(chunk)))
        found |= {row.person_key: row for row in rows.scalars()}
    return found
