"""Use cases on entries: each changes the database and stages its event in one transaction."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from kaleidoscope_shared.grants import ENTRY_DOCUMENTS, ENTRY_FILE, GrantRefused, check_grant, issue_grant

from ..adapters.tables import IdempotencyKeyRow
from ..domain import integration_events as events
from ..domain.contest import Contest, ContestStatus
from ..domain.entry import AttachmentRef, Entry, EntryContent, content_changes
from ..domain.errors import AttachmentNotFound, DuplicateEntry, EntryNotFound
from ..domain.rules import choose_slots
from ..domain.submission import edit_entry as edit_domain_entry
from ..domain.submission import submit_entry as submit_domain_entry
from ..domain.submission import verify_entry_token
from ..domain.submission import withdraw_entry as withdraw_domain_entry
from .context import SubmissionsContext
from .errors import (
    AttachmentClaimedMeanwhile,
    ContestNotFound,
    EntryChangedMeanwhile,
    IdempotencyKeyReused,
    UnknownAttachment,
)
from .ports import UnitOfWork
from .views import EntryReceipt, EntryView

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A client's `Idempotency-Key` and a fingerprint of the request it came with."""

    key: str
    request_sha256: str

    @classmethod
    def of(cls, key: str, contest_id: uuid.UUID, content: EntryContent) -> IdempotencyKey:
        body = json.dumps([str(contest_id), content.model_dump(mode="json")], sort_keys=True)
        return cls(key=key, request_sha256=hashlib.sha256(body.encode()).hexdigest())


RACE_ATTEMPTS = 10
"""How many times a transaction that lost a race for an author's slot or title is run again; each
loss means another entry of that author was stored meanwhile, so a retry soon picks the next free
slot or is refused by the rule."""


async def submit_entry(
    ctx: SubmissionsContext,
    contest_id: uuid.UUID,
    content: EntryContent,
    idempotency: IdempotencyKey | None = None,
) -> EntryReceipt:
    """Record a new entry (revision 1) and emit EntrySubmitted; a retry with the same key replays."""
    scope = f"entries:{contest_id}"

    async def attempt() -> EntryReceipt:
        async with ctx.unit_of_work() as uow:
            if idempotency is not None and (replayed := await _replay(uow, scope, idempotency)):
                return replayed
            receipt = await _submit(ctx, uow, contest_id, content)
            if idempotency is not None:
                await uow.repository.remember_response(_remembered(scope, idempotency, receipt))
        return receipt

    try:
        # a lost race (a concurrent request with the same key, or one taking the author's last
        # slot) is run again: the next attempt replays the winner's answer or breaks the rule
        return await _retrying_lost_races(attempt)
    except DuplicateEntry:
        # a concurrent request with the same key committed first: answer as it did
        if idempotency is None:
            raise
        async with ctx.unit_of_work() as uow:
            replayed = await _replay(uow, scope, idempotency)
        if replayed is None:
            raise
        return replayed


async def _submit(
    ctx: SubmissionsContext, uow: UnitOfWork, contest_id: uuid.UUID, content: EntryContent
) -> EntryReceipt:
    contest = await _contest(uow, contest_id, share_lock=True)
    content = await _with_stored_attachments(uow, contest, content)
    existing = await uow.repository.entries_sharing_authors(contest.id, content.author_keys())
    submitted = submit_domain_entry(contest, content, existing=existing, clock=ctx.clock)
    slots = await _slots(uow, contest, content)
    link = ctx.private_link(submitted.entry.id, submitted.token.plaintext)
    await _claim_attachments(uow, submitted.entry)
    await uow.repository.add_entry(submitted.entry, slots)
    await uow.repository.record_revision(submitted.entry, ())
    await uow.emit(events.entry_submitted(submitted.entry, private_link=link), contest_id=contest.id)
    view = EntryView.of(submitted.entry)
    return EntryReceipt(**view.model_dump(), token=submitted.token.plaintext, private_link=link)


async def _slots(
    uow: UnitOfWork, contest: Contest, content: EntryContent, besides: uuid.UUID | None = None
) -> dict[str, int]:
    """A free slot in the entry's nomination for each of its authors (EntryLimitReached if none)."""
    keys = content.author_keys()
    taken = await uow.repository.taken_slots(contest.id, content.nomination_code, keys, besides=besides)
    return choose_slots(contest, content, taken)


async def _retrying_lost_races(attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt` (one transaction), run again while a unique index refuses its write because a
    concurrent transaction stored the same slot, title or idempotency key first: run again, it sees
    the winner. At most RACE_ATTEMPTS runs in all; the database decides who wins."""
    for remaining in reversed(range(RACE_ATTEMPTS)):
        try:
            return await attempt()
        except (IntegrityError, AttachmentClaimedMeanwhile):
            if remaining == 0:
                raise
    raise AssertionError("RACE_ATTEMPTS must be at least 1")


async def _replay(uow: UnitOfWork, scope: str, idempotency: IdempotencyKey) -> EntryReceipt | None:
    row = await uow.repository.idempotent_response(scope, idempotency.key)
    if row is None:
        return None
    if row.request_sha256 != idempotency.request_sha256:
        raise IdempotencyKeyReused(idempotency.key)
    return EntryReceipt.model_validate(row.response)


def _remembered(scope: str, idempotency: IdempotencyKey, receipt: EntryReceipt) -> IdempotencyKeyRow:
    return IdempotencyKeyRow(
        scope=scope,
        key=idempotency.key,
        request_sha256=idempotency.request_sha256,
        status_code=201,
        response=receipt.model_dump(mode="json"),
        created_at=datetime.now(UTC),
    )


DOCUMENTS_GRANT_TTL_S = 3600
"""How long the grant to an entry's documents, handed to its participant with the entry, stays valid."""


async def view_entry(ctx: SubmissionsContext, entry_id: uuid.UUID, token: str | None) -> EntryView:
    """The entry, for its participant (`token`) or, with `token=None`, for an organiser.

    Its participant also gets `documents_grant` once the contest's results are announced: a grant
    (scope ENTRY_DOCUMENTS, subject the entry id) with which notifications lists the entry's letters
    and diplomas and serves their PDFs."""
    async with ctx.unit_of_work() as uow:
        row = await uow.repository.get_entry_row(entry_id)
        entry = await uow.repository.get_entry(entry_id) if row else None
        if token is not None:
            entry = verify_entry_token(entry, token)
        if entry is None or row is None:
            raise EntryNotFound()
        contest = await uow.repository.get_contest(entry.contest_id) if token is not None else None
    view = EntryView.of(entry, row)
    if contest is not None and contest.status is ContestStatus.RESULTS and not entry.is_withdrawn:
        grant = issue_grant(ctx.grant_key, ENTRY_DOCUMENTS, str(entry.id), DOCUMENTS_GRANT_TTL_S)
        view = view.model_copy(update={"documents_grant": grant})
    return view


async def entry_attachment(
    ctx: SubmissionsContext,
    entry_id: uuid.UUID,
    key: str,
    *,
    organiser: bool = False,
    token: str = "",
    grant: str | None = None,
) -> AttachmentRef:
    """One file of the entry, for an organiser, for its participant (`token`), or for the bearer of an
    ENTRY_FILE grant on `f"{entry_id}:{key}"` (judging issues these to the entry's assigned jurors).
    Anyone else gets the same 404 as for an entry that does not exist."""
    granted = organiser or (grant is not None and _grants_file(ctx, grant, entry_id, key))
    entry = await view_entry(ctx, entry_id, None if granted else token)
    attachment = next((a for a in entry.content.attachments if a.key == key), None)
    if attachment is None:
        raise AttachmentNotFound(key)
    return attachment


def _grants_file(ctx: SubmissionsContext, grant: str, entry_id: uuid.UUID, key: str) -> bool:
    try:
        check_grant(ctx.grant_key, grant, ENTRY_FILE, f"{entry_id}:{key}")
    except GrantRefused:
        return False
    return True


async def edit_entry(
    ctx: SubmissionsContext, entry_id: uuid.UUID, token: str, changes: Mapping[str, Any]
) -> EntryView:
    """Apply `changes` to the entry's content as its next revision and emit EntryUpdated.

    `language` without `authors` becomes every author's language."""

    async def attempt() -> EntryView:
        async with ctx.unit_of_work() as uow:
            entry, contest = await _own_entry(uow, entry_id, token)
            merged = {**entry.content.model_dump(mode="json"), **changes}
            if changes.get("language") is not None and "authors" not in changes:
                merged["authors"] = [author | {"language": None} for author in merged["authors"]]
            content = EntryContent.model_validate(merged)
            content = await _with_stored_attachments(uow, contest, content, listed_by=entry.id)
            existing = await uow.repository.entries_sharing_authors(contest.id, content.author_keys())
            edited = edit_domain_entry(contest, entry, content, existing=existing, clock=ctx.clock)
            slots = await _slots(uow, contest, content, besides=entry.id)
            await _save(uow, edited, entry.revision, slots)
            await uow.repository.record_revision(edited, content_changes(entry.content, edited.content))
            await uow.repository.release_attachments(
                entry.id, keeping=[a.key for a in edited.content.attachments], now=datetime.now(UTC)
            )
            await _claim_attachments(uow, edited)
            await uow.emit(events.entry_updated(edited), contest_id=contest.id)
            row = await uow.repository.get_entry_row(entry_id)
        return EntryView.of(edited, row)

    return await _retrying_lost_races(attempt)


async def withdraw_entry(ctx: SubmissionsContext, entry_id: uuid.UUID, token: str, reason: str) -> EntryView:
    """Withdraw the entry, with a reason, as its next revision and emit EntryWithdrawn."""
    async with ctx.unit_of_work() as uow:
        entry, contest = await _own_entry(uow, entry_id, token)
        withdrawn = withdraw_domain_entry(contest, entry, reason, clock=ctx.clock)
        await _save(uow, withdrawn, entry.revision)
        await uow.repository.record_revision(withdrawn, ("status",))
        await uow.emit(events.entry_withdrawn(withdrawn), contest_id=contest.id)
        row = await uow.repository.get_entry_row(entry_id)
    return EntryView.of(withdrawn, row)


async def _own_entry(uow: UnitOfWork, entry_id: uuid.UUID, token: str) -> tuple[Entry, Contest]:
    entry = verify_entry_token(await uow.repository.get_entry(entry_id), token)
    return entry, await _contest(uow, entry.contest_id, share_lock=True)


async def _save(
    uow: UnitOfWork, entry: Entry, previous_revision: int, slots: Mapping[str, int] | None = None
) -> None:
    if not await uow.repository.save_entry(entry, previous_revision=previous_revision, slots=slots):
        raise EntryChangedMeanwhile(entry.id)


async def _contest(uow: UnitOfWork, contest_id: uuid.UUID, *, share_lock: bool = False) -> Contest:
    contest = await uow.repository.get_contest(contest_id, share_lock=share_lock)
    if contest is None:
        raise ContestNotFound(contest_id)
    return contest


async def _with_stored_attachments(
    uow: UnitOfWork, contest: Contest, content: EntryContent, *, listed_by: uuid.UUID | None = None
) -> EntryContent:
    """The content with each attachment described as it was stored, never as the client claims.

    A file must be one uploaded to the contest that no entry lists, or one the entry `listed_by` (being
    edited) already lists: a file of another entry is as unknown as one never uploaded."""
    if not content.attachments:
        return content
    stored = await uow.repository.attachments(contest.id, (a.key for a in content.attachments))
    refs = []
    for attachment in content.attachments:
        row = stored.get(attachment.key)
        if row is None or row.entry_id not in (None, listed_by):
            raise UnknownAttachment(attachment.key)
        refs.append(
            attachment.model_copy(
                update={"media_type": row.media_type, "size_bytes": row.size_bytes, "sha256": row.sha256}
            )
        )
    return content.model_copy(update={"attachments": tuple(refs)})


async def _claim_attachments(uow: UnitOfWork, entry: Entry) -> None:
    """Mark the entry's files as listed by it (no longer pending, no longer anyone else's to list).
    Fewer claimed than listed: a concurrent transaction claimed or swept one after this one read it."""
    keys = {a.key for a in entry.content.attachments}
    if keys and await uow.repository.claim_attachments(entry.id, entry.contest_id, keys) < len(keys):
        raise AttachmentClaimedMeanwhile()
