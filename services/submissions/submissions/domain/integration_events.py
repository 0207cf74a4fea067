"""The domain's state as the integration events other services read (`kaleidoscope_shared.contracts`).

Pure translations: the service layer writes the returned event to the outbox in the same transaction
as the state it describes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from kaleidoscope_shared.contracts import Event
from kaleidoscope_shared.contracts import events as contracts
from kaleidoscope_shared.sealing import seal

from .amendment import Amendment
from .contest import Contest
from .deadline import SubmissionsClosure
from .entry import Author, Entry

E = TypeVar("E", bound=Event)


def contest_announced(contest: Contest) -> contracts.ContestAnnounced:
    return contracts.ContestAnnounced(
        contest_id=contest.id,
        title=contest.title,
        description=contest.description,
        organisers=[contracts.Organiser(name=o.name, email=o.email) for o in contest.organisers],
        contact=contest.contact,
        nominations=[
            contracts.Nomination(
                code=n.code,
                title=n.title,
                description=n.description,
                title_en=n.title_en,
                description_en=n.description_en,
            )
            for n in contest.nominations
        ],
        territories=[
            contracts.Territory(code=t.code, name=t.name, kind=t.kind.value) for t in contest.territories
        ],
        submissions_open_at=contest.window.opens_at,
        submissions_close_at=contest.window.closes_at,
        conflict_rules=[rule.value for rule in contest.rules.conflict_rules],
        full_title=contest.rules.documents.full_title,
        signatories=[
            contracts.Signatory(name=s.name, position=s.position) for s in contest.rules.documents.signatories
        ],
        time_zone=contest.time_zone,
    )


def contest_amended(amendment: Amendment, amended_at: datetime) -> contracts.ContestAmended:
    """The contest as it now stands at its new revision, with what changed (and, for a moved
    deadline, the deadline it replaced and the organisers' reason)."""
    state = contest_announced(amendment.contest).model_dump()
    return contracts.ContestAmended(
        **state,
        revision=amendment.contest.revision,
        amended_at=amended_at,
        changed=list(amendment.changed),
        previous_submissions_close_at=amendment.previous_submissions_close_at,
        reason=amendment.reason,
    )


def entry_submitted(
    entry: Entry, private_link: str | None = None, *, link_key: str | None = None
) -> contracts.EntrySubmitted:
    """`private_link` is the participant's link with the token in it, for the confirmation message.

    It travels sealed (`sealed_private_link`, opened only by notifications). Without `link_key` it is
    held in `private_link` only until `with_links_sealed` seals it, which the unit of work does to
    every event it writes to the outbox: no event ever leaves this service with the link in clear."""
    event = contracts.EntrySubmitted(**_entry_state(entry), private_link=private_link)
    return with_links_sealed(event, link_key) if link_key is not None else event


def with_links_sealed(event: E, link_key: str) -> E:
    """`event` with a private link in clear moved, sealed with `link_key`, into `sealed_private_link`;
    any other event as it is."""
    if isinstance(event, contracts.EntrySubmitted) and event.private_link:
        sealed_link = seal(event.private_link, link_key)
        return event.model_copy(update={"private_link": None, "sealed_private_link": sealed_link})
    return event


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
