"""The jury: registering jurors with personal tokens, their sign-in links, and conflicts declared by a
juror or the organiser.

A juror signs in with the personal token shown once at registration, or with the ticket of the
personal link in their e-mails: a JUROR_SIGN_IN grant on the juror's id and link generation
(`<id>~<generation>`; a bare id is generation 0), signed with the deployment's grant key, valid for
SIGN_IN_TTL_S. Nothing is stored for a ticket; a new link (`reissue_link`) replaces the token and
bumps the generation, so every earlier token and ticket of the juror is refused from then on.

A new conflict removes the pair from every open or declared stage's assignment and drops any sheet
the juror gave for that entry, so a conflicted juror's score never exists.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kaleidoscope_shared.contracts import JurorLinkReissued
from kaleidoscope_shared.grants import JUROR_SIGN_IN, GrantRefused, check_grant, issue_grant
from kaleidoscope_shared.http.auth import token_hash
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.sealing import seal
from kaleidoscope_shared.settings import ServiceSettings

from ..adapters.tables import AssignmentRow, ConflictRow, EntryCopy, JurorRow, ScoreRow, StageRow
from ..domain import ConflictSource, StageStatus, automatic_conflicts
from ..settings import DEFAULT_PUBLIC_BASE_URL
from . import audit
from .commands import RegisterJuror, SetConflict, UpdateJuror
from .errors import Invalid, NotFound, Refused
from .loading import conflict_policy, entry_of, get_contest, juror_of, jurors_of
from .sql import rows_changed


async def register_juror(
    runtime: ServiceRuntime, contest_id: uuid.UUID, command: RegisterJuror
) -> tuple[JurorRow, str]:
    """A new juror and their personal token (only its hash is stored; the token is shown once)."""
    token = secrets.token_urlsafe(32)
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        juror = JurorRow(
            id=uuid.uuid4(), contest_id=contest_id, token_hash=token_hash(token), **command.model_dump()
        )
        session.add(juror)
        await audit.append(
            session,
            head,
            "juror_registered",
            {
                "juror_id": juror.id,
                "name": juror.name,
                "library": juror.library,
                "territory_code": juror.territory_code,
            },
        )
    return juror, token


async def juror_by_token(runtime: ServiceRuntime, token: str) -> JurorRow | None:
    """The juror a personal token belongs to, if any."""
    async with runtime.sessions() as session:
        rows = await session.execute(select(JurorRow).where(col(JurorRow.token_hash) == token_hash(token)))
        return rows.scalar_one_or_none()


SIGN_IN_TTL_S = 60 * 24 * 3600
SIGN_IN_PREFIX = f"{JUROR_SIGN_IN}."


GENERATION_MARK = "~"


def sign_in_ticket(
    settings: ServiceSettings, juror_id: uuid.UUID, generation: int = 0, *, now: float | None = None
) -> str:
    """A ticket that signs the juror in, as their personal token does, for SIGN_IN_TTL_S, until the
    organiser issues the juror a new link (the next generation)."""
    subject = str(juror_id) if generation == 0 else f"{juror_id}{GENERATION_MARK}{generation}"
    return issue_grant(settings.grant_key.get_secret_value(), JUROR_SIGN_IN, subject, SIGN_IN_TTL_S, now=now)


def personal_link(settings: ServiceSettings, juror_id: uuid.UUID, generation: int = 0) -> str:
    """The web front's sign-in page with the juror's ticket (carried by JurorAssigned, JurorReminderDue,
    JurorLinkReissued)."""
    base = str(getattr(settings, "public_base_url", DEFAULT_PUBLIC_BASE_URL)).rstrip("/")
    return f"{base}/jury/sign-in?ticket={sign_in_ticket(settings, juror_id, generation)}"


def sealed_personal_link(settings: ServiceSettings, juror_id: uuid.UUID, generation: int = 0) -> str:
    """`personal_link` sealed with the link key, as JurorAssigned and JurorReminderDue carry it: it
    signs the juror in, so only notifications opens it, into the message it sends the juror."""
    return seal(personal_link(settings, juror_id, generation), settings.link_key.get_secret_value())


def is_sign_in_ticket(token: str) -> bool:
    return token.startswith(SIGN_IN_PREFIX)


async def juror_by_ticket(runtime: ServiceRuntime, ticket: str) -> JurorRow | None:
    """The juror a genuine, unexpired sign-in ticket names; None for any other ticket."""
    try:
        grant = check_grant(runtime.settings.grant_key.get_secret_value(), ticket, JUROR_SIGN_IN)
        juror_text, _, generation_text = grant.subject.partition(GENERATION_MARK)
        juror_id, generation = uuid.UUID(juror_text), int(generation_text or "0")
    except (GrantRefused, ValueError):
        return None
    async with runtime.sessions() as session:
        juror = await session.get(JurorRow, juror_id)
    return juror if juror is not None and juror.link_generation == generation else None


async def _juror_in(session: AsyncSession, contest_id: uuid.UUID, juror_id: uuid.UUID) -> JurorRow:
    juror = await session.get(JurorRow, juror_id)
    if juror is None or juror.contest_id != contest_id:
        raise NotFound(f"Contest {contest_id} has no juror {juror_id}.")
    return juror


async def update_juror(
    runtime: ServiceRuntime, contest_id: uuid.UUID, juror_id: uuid.UUID, command: UpdateJuror
) -> tuple[JurorRow, int]:
    """Change a juror's details (only the fields given) and the juror's count of entries taken away:
    a new library or territory that makes an automatic conflict with an entry assigned in an open
    stage takes that entry (and any sheet given for it) away, as a declared conflict would."""
    changes = command.model_dump(exclude_unset=True)
    blank = sorted(name for name, value in changes.items() if value is None and name != "email")
    if blank:
        raise Invalid(f"{', '.join(blank)} cannot be empty; leave a field out to keep it.", fields=blank)
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        juror = await _juror_in(session, contest_id, juror_id)
        for name, value in changes.items():
            setattr(juror, name, value)
        session.add(juror)
        taken = await _take_conflicted_away(session, contest_id, juror)
        await audit.append(
            session,
            head,
            "juror_updated",
            {
                "juror_id": juror.id,
                "changed": sorted(changes),
                "name": juror.name,
                "library": juror.library,
                "territory_code": juror.territory_code,
                "entries_taken_away": taken,
            },
        )
    return juror, taken


async def _take_conflicted_away(session: AsyncSession, contest_id: uuid.UUID, juror: JurorRow) -> int:
    """Drop, in every open stage, the juror's assigned entries they now have a conflict with."""
    contest = await get_contest(session, contest_id)
    policy = await conflict_policy(session, contest)
    assigned_in_open_stages = (
        select(col(AssignmentRow.entry_id))
        .join(StageRow, col(StageRow.id) == col(AssignmentRow.stage_id))
        .where(col(AssignmentRow.juror_id) == juror.id, col(StageRow.status) == StageStatus.OPEN)
    )
    # IN, not DISTINCT: PostgreSQL's json type has no equality to tell rows apart by
    rows = await session.execute(select(EntryCopy).where(col(EntryCopy.id).in_(assigned_in_open_stages)))
    conflicted = [e.id for e in rows.scalars() if policy.is_conflicted(juror_of(juror), entry_of(e))]
    for entry_id in conflicted:
        await _take_entry_away(session, contest_id, juror.id, entry_id)
    return len(conflicted)


async def remove_juror(runtime: ServiceRuntime, contest_id: uuid.UUID, juror_id: uuid.UUID) -> None:
    """Remove a juror who has not scored anything, with their assignments and conflicts."""
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        juror = await _juror_in(session, contest_id, juror_id)
        scored = await session.scalar(
            select(func.count(func.distinct(col(ScoreRow.entry_id)))).where(
                col(ScoreRow.juror_id) == juror.id
            )
        )
        if scored:
            raise Refused(
                f"Juror {juror.name} has scored {scored} "
                f"{'entry' if scored == 1 else 'entries'}; a juror who has scored cannot be removed.",
                scored_entries=int(scored),
            )
        await session.execute(delete(AssignmentRow).where(col(AssignmentRow.juror_id) == juror.id))
        await session.execute(delete(ConflictRow).where(col(ConflictRow.juror_id) == juror.id))
        await session.delete(juror)
        await audit.append(session, head, "juror_removed", {"juror_id": juror.id, "name": juror.name})


async def reissue_link(
    runtime: ServiceRuntime, contest_id: uuid.UUID, juror_id: uuid.UUID
) -> tuple[JurorRow, str, str]:
    """A new personal token and link for the juror; every earlier token and link stops working at
    once. JurorLinkReissued carries the link sealed, for notifications to send it to the juror."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        juror = await _juror_in(session, contest_id, juror_id)
        juror.token_hash, juror.link_generation = token_hash(token), juror.link_generation + 1
        session.add(juror)
        await audit.append(
            session,
            head,
            "juror_link_reissued",
            {"juror_id": juror.id, "name": juror.name, "link_generation": juror.link_generation},
        )
        await runtime.outbox.add(
            session,
            JurorLinkReissued(
                contest_id=contest_id,
                juror_id=juror.id,
                juror_name=juror.name,
                juror_email=juror.email,
                language=juror.language,
                reissued_at=now,
                sealed_personal_link=sealed_personal_link(runtime.settings, juror.id, juror.link_generation),
            ),
            contest_id=contest_id,
        )
    return juror, token, personal_link(runtime.settings, juror.id, juror.link_generation)


async def declare_conflict(
    runtime: ServiceRuntime, contest_id: uuid.UUID, command: SetConflict, source: ConflictSource
) -> ConflictRow:
    """Record a recusal or an organiser's ruling and take the entry away from the juror."""
    async with runtime.sessions() as session, session.begin():
        head = await audit.lock_head(session, contest_id)
        juror = await session.get(JurorRow, command.juror_id)
        entry = await session.get(EntryCopy, command.entry_id)
        if juror is None or juror.contest_id != contest_id:
            raise NotFound(f"Contest {contest_id} has no juror {command.juror_id}.")
        if entry is None or entry.contest_id != contest_id:
            raise NotFound(f"Contest {contest_id} has no entry {command.entry_id}.")
        conflict = ConflictRow(
            contest_id=contest_id,
            juror_id=juror.id,
            entry_id=entry.id,
            source=source.value,
            reason=command.reason,
        )
        session.add(conflict)
        dropped = await _take_entry_away(session, contest_id, juror.id, entry.id)
        await audit.append(
            session,
            head,
            "conflict_declared",
            {
                "juror_id": juror.id,
                "entry_id": entry.id,
                "source": source.value,
                "reason": command.reason,
                "sheets_dropped": dropped,
            },
        )
    return conflict


async def _take_entry_away(
    session: AsyncSession, contest_id: uuid.UUID, juror_id: uuid.UUID, entry_id: uuid.UUID
) -> int:
    stages = await session.execute(select(StageRow).where(col(StageRow.contest_id) == contest_id))
    stage_list = list(stages.scalars())
    if any(s.status == StageStatus.CLOSED for s in stage_list) and all(
        s.status == StageStatus.CLOSED for s in stage_list
    ):
        raise Refused("Every stage of this contest is closed; a conflict can no longer change anything.")
    live = [s.id for s in stage_list if s.status != StageStatus.CLOSED]
    if not live:
        return 0
    pair = (col(AssignmentRow.juror_id) == juror_id, col(AssignmentRow.entry_id) == entry_id)
    await session.execute(delete(AssignmentRow).where(col(AssignmentRow.stage_id).in_(live), *pair))
    return await rows_changed(
        session,
        delete(ScoreRow).where(
            col(ScoreRow.stage_id).in_(live),
            col(ScoreRow.juror_id) == juror_id,
            col(ScoreRow.entry_id) == entry_id,
        ),
    )


async def conflicts_of(runtime: ServiceRuntime, contest_id: uuid.UUID) -> list[ConflictRow]:
    async with runtime.sessions() as session:
        await get_contest(session, contest_id)
        rows = await session.execute(select(ConflictRow).where(col(ConflictRow.contest_id) == contest_id))
        return list(rows.scalars())


SOURCE_NAMES = {
    ConflictSource.SAME_LIBRARY: "automatic",
    ConflictSource.SAME_TERRITORY: "automatic",
    ConflictSource.DECLARED_BY_JUROR: "declared",
    ConflictSource.SET_BY_ORGANISER: "organiser",
}
AUTOMATIC_CONFLICT_IDS = uuid.UUID("6f1d4c1e-5b8a-4f43-9a51-3c0f1d7a2b90")
"""The namespace of automatic conflicts' ids: the same pair and reason always has the same id."""


@dataclass(frozen=True, slots=True)
class ListedConflict:
    """A conflict as the organiser's list shows it, automatic ones included."""

    id: uuid.UUID
    juror_id: uuid.UUID
    juror_name: str
    entry_id: uuid.UUID
    entry_title: str
    source: str
    rule: str
    reason: str


async def every_conflict(runtime: ServiceRuntime, contest_id: uuid.UUID) -> list[ListedConflict]:
    """Every conflict of the contest: the automatic ones its rules find (same library, same territory)
    between its jurors and entries not withdrawn, then recusals and the organiser's rulings; by juror
    name, then entry title."""
    async with runtime.sessions() as session:
        contest = await get_contest(session, contest_id)
        jurors = {j.id: j for j in await jurors_of(session, contest_id)}
        entry_rows = await session.execute(select(EntryCopy).where(col(EntryCopy.contest_id) == contest_id))
        entries = {e.id: e for e in entry_rows.scalars()}
        policy = await conflict_policy(session, contest)
        declared = await session.execute(select(ConflictRow).where(col(ConflictRow.contest_id) == contest_id))
        declared_rows = list(declared.scalars())
    listed: list[ListedConflict] = []
    found = automatic_conflicts(
        policy.rules, (juror_of(j) for j in jurors.values()), (entry_of(e) for e in entries.values())
    )
    for juror, entry, conflict in found:
        juror_id, entry_id = uuid.UUID(juror.juror_id), uuid.UUID(entry.entry_id)
        listed.append(
            ListedConflict(
                id=uuid.uuid5(AUTOMATIC_CONFLICT_IDS, f"{juror_id}/{entry_id}/{conflict.reason}"),
                juror_id=juror_id,
                juror_name=juror.name,
                entry_id=entry_id,
                entry_title=entry.title,
                source=SOURCE_NAMES[conflict.source],
                rule=conflict.source.value,
                reason=conflict.reason,
            )
        )
    for row in declared_rows:
        juror_row, entry_row = jurors.get(row.juror_id), entries.get(row.entry_id)
        listed.append(
            ListedConflict(
                id=row.id,
                juror_id=row.juror_id,
                juror_name=juror_row.name if juror_row else "",
                entry_id=row.entry_id,
                entry_title=entry_row.title if entry_row else "",
                source=SOURCE_NAMES[ConflictSource(row.source)],
                rule=row.source,
                reason=row.reason,
            )
        )
    return sorted(
        listed, key=lambda c: (c.juror_name, str(c.juror_id), c.entry_title, str(c.entry_id), c.rule)
    )
