"""The domain's state as the integration events other services read (`kaleidoscope_shared.contracts`).

Pure translations: the service layer writes the returned event to the outbox in the same transaction
as the state it describes.
"""

from __future__ import annotations

from typing import Any

from kaleidoscope_shared.contracts import events as contracts

from .contest import Contest
from .deadline import SubmissionsClosure
from .entry import Author, Entry


def contest_announced(contest: Contest) -> contracts.ContestAnnounced:
    return contracts.ContestAnnounced(
        contest_id=contest.id,
        title=contest.title,
        description=contest.description,
        organisers=[contracts.Organiser(name=o.name, email=o.email) for o in contest.organisers],
        contact=contest.contact,
        nominations=[
            contracts.Nomination(code=n.code, title=n.title, description=n.description)
            for n in contest.nominations
        ],
        territories=[
            contracts.Territory(code=t.code, name=t.name, kind=t.kind.value) for t in contest.territories
        ],
        submissions_open_at=contest.window.opens_at,
        submissions_close_at=contest.window.closes_at,
    )


def entry_submitted(entry: Entry, private_link: str | None = None) -> contracts.EntrySubmitted:
    """`private_link` is the participant's link with the token in it, for the confirmation message."""
    return contracts.EntrySubmitted(**_entry_state(entry), private_link=private_link)


def entry_updated(entry: Entry) -> contracts.EntryUpdated:
    return contracts.EntryUpdated(**_entry_state(entry), updated_at=entry.updated_at)


def _entry_state(entry: Entry) -> dict[str, Any]:
    """The whole entry at its revision, as both EntrySubmitted and EntryUpdated carry it."""
    content = entry.content
    return {
        "entry_id": entry.id,
        "contest_id": entry.contest_id,
        "revision": entry.revision,
        "nomination_code": content.nomination_code,
        "title": content.title,
        "annotation": content.annotation,
        "authors": [_author(a) for a in content.authors],
        "submitted_at": entry.submitted_at,
        "links": list(content.links),
        "attachments": [
            contracts.AttachmentInfo(
                key=a.key, filename=a.filename, media_type=a.media_type, size_bytes=a.size_bytes
            )
            for a in content.attachments
        ],
    }


def entry_withdrawn(entry: Entry) -> contracts.EntryWithdrawn:
    if entry.withdrawn_at is None:
        raise ValueError(f"entry {entry.id} is not withdrawn; withdraw it before announcing it")
    return contracts.EntryWithdrawn(
        entry_id=entry.id,
        contest_id=entry.contest_id,
        revision=entry.revision,
        reason=entry.withdrawal_reason or "",
        withdrawn_at=entry.withdrawn_at,
    )


def submissions_closed(closure: SubmissionsClosure) -> contracts.SubmissionsClosed:
    return contracts.SubmissionsClosed(
        contest_id=closure.contest_id,
        closed_at=closure.closed_at,
        closed_by=closure.closed_by,
        entries=[contracts.EntryRef(entry_id=e.entry_id, revision=e.revision) for e in closure.entries],
    )


def _author(author: Author) -> contracts.Author:
    return contracts.Author(
        full_name=author.full_name,
        position=author.position,
        library=author.library,
        territory_code=author.territory_code,
        email=author.email,
        phone=author.phone,
        language=author.language,
    )
