"""Who hears what: for each event, the people to tell, what kind of message, and with which facts.

All co-authors of an entry are told about it. A person never gets two messages for one event on one
channel: when they appear twice (two entries), the entries are merged into one message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import singledispatch
from typing import Any

from kaleidoscope_shared.contracts import (
    ContestAmended,
    ContestFinished,
    EntrySubmitted,
    EntryUpdated,
    EntryWithdrawn,
    Event,
    JurorAssigned,
    JurorLinkReissued,
    StageClosed,
    SubmissionsClosed,
    WinnerDeclared,
)

from . import contexts as ctx
from .kinds import DocumentKind, NotificationKind
from .links import in_message
from .model import Addressee, ContestView, DocumentRequest, EntryView, JurorReminderDue, Person

K = NotificationKind


@singledispatch
def addressees(event: object, contest: ContestView) -> list[Addressee]:
    """Events the service does not notify about (StageOpened, its own events…) reach nobody."""
    return []


@addressees.register
def _(event: EntrySubmitted, contest: ContestView) -> list[Addressee]:
    return _authors_of(contest.entries.get(event.entry_id), K.ENTRY_RECEIVED, contest)


@addressees.register
def _(event: EntryUpdated, contest: ContestView) -> list[Addressee]:
    return _authors_of(contest.entries.get(event.entry_id), K.ENTRY_UPDATED, contest)


@addressees.register
def _(event: EntryWithdrawn, contest: ContestView) -> list[Addressee]:
    return _authors_of(contest.entries.get(event.entry_id), K.ENTRY_WITHDRAWN, contest, reason=event.reason)


@addressees.register
def _(event: SubmissionsClosed, contest: ContestView) -> list[Addressee]:
    entries = [contest.entries[ref.entry_id] for ref in event.entries if ref.entry_id in contest.entries]
    facts: dict[str, Any] = {
        "statistics": ctx.submission_statistics(entries, contest),
        "closed_at": event.closed_at,
    }
    return [_to(K.SUBMISSIONS_CLOSED, o, contest, **facts) for o in contest.organisers]


@addressees.register
def _(event: ContestAmended, contest: ContestView) -> list[Addressee]:
    """A moved deadline is told to the authors of every entry in `contest` (the copies give the
    active ones, and none when a later amendment has moved the deadline again); other amendments
    reach nobody."""
    if "submissions_close_at" not in event.changed:
        return []
    facts: dict[str, Any] = {
        "submissions_close_at": event.submissions_close_at,
        "previous_submissions_close_at": event.previous_submissions_close_at,
        "reason": event.reason.strip(),
    }
    result: list[Addressee] = []
    for entry in contest.entries.values():
        result += _authors_of(entry, K.DEADLINE_CHANGED, contest, **facts)
    return _merged(result)


@addressees.register
def _(event: JurorLinkReissued, contest: ContestView) -> list[Addressee]:
    juror = ctx.juror(event.juror_id, event.juror_name, event.juror_email, event.language)
    facts: dict[str, Any] = {"personal_link": in_message(event.sealed_personal_link)}
    return [_to(K.JUROR_LINK_REISSUED, juror, contest, **facts)]


@addressees.register
def _(event: JurorAssigned, contest: ContestView) -> list[Addressee]:
    juror = ctx.juror(event.juror_id, event.juror_name, event.juror_email, event.language)
    entries = [ctx.entry(e, contest, with_link=False) for e in _known(contest, event.entry_ids)]
    facts: dict[str, Any] = {
        "stage_name": event.stage_name,
        "deadline": event.deadline,
        "entries": entries,
        "personal_link": in_message(event.sealed_personal_link or event.personal_link),
    }
    return [_to(K.JUROR_ASSIGNED, juror, contest, **facts)]


@addressees.register
def _(event: JurorReminderDue, contest: ContestView) -> list[Addressee]:
    juror = ctx.juror(event.juror_id, event.juror_name, event.juror_email, event.language)
    entries = [ctx.entry(e, contest, with_link=False) for e in _known(contest, event.pending_entry_ids)]
    facts: dict[str, Any] = {
        "stage_name": event.stage_name,
        "deadline": event.deadline,
        "entries": entries,
        "personal_link": in_message(event.personal_link),
    }
    return [_to(K.JUROR_REMINDER, juror, contest, **facts)]


@addressees.register
def _(event: StageClosed, contest: ContestView) -> list[Addressee]:
    if event.is_last:
        return []  # the final's outcome is told by WinnerDeclared and ContestFinished
    final = {
        "final_date": event.final_date or contest.final_date,
        "final_place": event.final_place or contest.final_place,
    }
    result: list[Addressee] = []
    for outcome in event.results:
        kind = K.FINAL_INVITATION if outcome.advanced else K.NON_FINALIST_THANKS
        result += _authors_of(contest.entries.get(outcome.entry_id), kind, contest, **final)
    return _merged(result)


@addressees.register
def _(event: WinnerDeclared, contest: ContestView) -> list[Addressee]:
    result: list[Addressee] = []
    for placement in event.placements:
        prizes = [ctx.prize(p) for p in placement.prizes]
        entry = contest.entries.get(placement.entry_id)
        result += _authors_of(entry, K.WINNER_CONGRATULATIONS, contest, place=placement.place, prizes=prizes)
    for mention in event.special_mentions:
        entry = contest.entries.get(mention.entry_id)
        result += _authors_of(entry, K.SPECIAL_MENTION, contest, mention=mention.text)
    return _merged(result)


@addressees.register
def _(event: ContestFinished, contest: ContestView) -> list[Addressee]:
    result: list[Addressee] = []
    for entry in _known(contest, event.participant_entry_ids):
        for author in entry.authors:
            documents = tuple(DocumentRequest(k, entry.entry_id, author.key) for k in documents_for(entry))
            result.append(_to(K.CONTEST_FINISHED_PARTICIPANT, author, contest, entry, documents=documents))
    results = ctx.contest_results(_known(contest, event.participant_entry_ids), contest)
    result += [_to(K.CONTEST_FINISHED_ORGANISER, o, contest, results=results) for o in contest.organisers]
    return _merged(result)


def documents_for(entry: EntryView) -> tuple[DocumentKind, ...]:
    """Every participant: a thank-you letter and a participant's diploma; a finalist also a finalist's
    diploma; a winner a winner's diploma instead of the finalist's; an entry the jury singled out
    also the special mention's diploma."""
    documents = [DocumentKind.THANK_YOU_LETTER, DocumentKind.PARTICIPANT_DIPLOMA]
    if entry.place is not None:
        documents.append(DocumentKind.WINNER_DIPLOMA)
    elif entry.finalist:
        documents.append(DocumentKind.FINALIST_DIPLOMA)
    if entry.special_mention:
        documents.append(DocumentKind.SPECIAL_MENTION_DIPLOMA)
    return tuple(documents)


def _authors_of(
    entry: EntryView | None, kind: NotificationKind, contest: ContestView, **facts: Any
) -> list[Addressee]:
    if entry is None:  # withdrawn or not yet known to us: nobody to tell about it
        return []
    return [_to(kind, author, contest, entry, **facts) for author in entry.authors]


def _to(
    kind: NotificationKind,
    person: Person,
    contest: ContestView,
    entry: EntryView | None = None,
    documents: tuple[DocumentRequest, ...] = (),
    **facts: Any,
) -> Addressee:
    context = ctx.base(person, contest) | facts
    if entry is not None:
        context |= {"entry": ctx.entry(entry, contest), "entries": [ctx.entry(entry, contest)]}
    return Addressee(kind=kind, person=person, context=context, documents=documents)


def _known(contest: ContestView, entry_ids: Iterable[Any]) -> list[EntryView]:
    return [contest.entries[i] for i in entry_ids if i in contest.entries]


_PRIORITY: dict[NotificationKind, int] = {
    K.WINNER_CONGRATULATIONS: 0,
    K.SPECIAL_MENTION: 1,
    K.FINAL_INVITATION: 2,
    K.NON_FINALIST_THANKS: 3,
}


def _merged(addressees: list[Addressee]) -> list[Addressee]:
    """One addressee per person: the most important kind wins; entries and documents are pooled."""
    by_person: dict[str, list[Addressee]] = {}
    for a in addressees:
        by_person.setdefault(a.person.key, []).append(a)
    return [_merge(group) for group in by_person.values()]


def _merge(group: list[Addressee]) -> Addressee:
    group = sorted(group, key=_priority_of)
    first = group[0]
    if len(group) == 1:
        return first
    entries = [e for a in group for e in a.context.get("entries", [])]
    documents = tuple(d for a in group for d in a.documents)
    return Addressee(first.kind, first.person, {**first.context, "entries": entries}, documents)


_priority_of: Callable[[Addressee], int] = lambda a: _PRIORITY.get(a.kind, 9)  # noqa: E731


def addressees_for(event: Event | JurorReminderDue, contest: ContestView) -> list[Addressee]:
    return addressees(event, contest)
