"""The facts a template sees, as plain dicts and lists (the sandbox reads nothing else)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

from kaleidoscope_shared.contracts import Prize

from . import links
from .kinds import Language, language_or_default
from .model import ContestView, EntryView, Person


def base(person: Person, contest: ContestView) -> dict[str, Any]:
    return {
        "recipient": {"name": person.name, "position": person.position, "library": person.library},
        "contest": {"title": contest.title, "contact": contest.contact},
    }


def entry(view: EntryView, contest: ContestView, *, with_link: bool = True) -> dict[str, Any]:
    """An entry as a template sees it; its private link (sealed, see `links`) only for its authors:
    `with_link=False` for anyone else, such as a juror."""
    return {
        "id": str(view.entry_id),
        "title": view.title,
        "nomination": contest.nomination_title(view.nomination_code),
        "authors": [a.name for a in view.authors],
        "private_link": links.in_message(view.private_link) if with_link else None,
        "revision": view.revision,
    }


def juror(juror_id: uuid.UUID, name: str, email: str | None, language: str) -> Person:
    key = email.strip().lower() if email else f"juror:{juror_id}"
    lang: Language = language_or_default(language)
    return Person(key=key, name=name, email=email, language=lang)


def prize(p: Prize) -> dict[str, Any]:
    return {"kind": p.kind, "description": p.description, "amount": p.amount, "currency": p.currency}


def submission_statistics(entries: list[EntryView], contest: ContestView) -> dict[str, Any]:
    by_nomination = Counter(e.nomination_code for e in entries)
    authors = {a.key for e in entries for a in e.authors}
    territories = {a.territory_code for e in entries for a in e.authors if a.territory_code}
    return {
        "entries": len(entries),
        "authors": len(authors),
        "territories": len(territories),
        "by_nomination": [
            {"nomination": title, "entries": by_nomination.get(code, 0)}
            for code, title in contest.nominations.items()
        ],
    }


def contest_results(entries: Iterable[EntryView], contest: ContestView) -> dict[str, Any]:
    entries = list(entries)
    placed = sorted((e for e in entries if e.place is not None), key=lambda e: (e.nomination_code, e.place))
    return {
        "participants": len({a.key for e in entries for a in e.authors}),
        "entries": len(entries),
        "finalists": sum(1 for e in entries if e.finalist or e.place is not None),
        "winners": [
            {
                "nomination": contest.nomination_title(e.nomination_code),
                "place": e.place,
                "title": e.title,
                "authors": [a.name for a in e.authors],
                "libraries": sorted({a.library for a in e.authors if a.library}),
            }
            for e in placed
        ],
    }
