"""The jury: registering jurors with personal tokens, their sign-in links, and conflicts declared by a
juror or the organiser.

A juror signs in with the personal token shown once at registration, or with the ticket of the
personal link in their e-mails: a JUROR_SIGN_IN grant on the juror's id, signed with the deployment's
grant key, valid for SIGN_IN_TTL_S. Nothing is stored for a ticket; it cannot be revoked before it
expires except by changing the grant key (which voids every grant).

A new conflict removes the pair from every open or declared stage's assignment and drops any sheet
the juror gave for that entry, so a conflicted juror's score never exists.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kaleidoscope_shared.grants import JUROR_SIGN_IN, GrantRefused, check_grant, issue_grant
from kaleidoscope_shared.http.auth import token_hash
from kaleidoscope_shared.runtime import ServiceRuntime
from kaleidoscope_shared.settings import ServiceSettings

from ..adapters.tables import AssignmentRow, ConflictRow, EntryCopy, JurorRow, ScoreRow, StageRow
from ..domain import ConflictSource
from ..settings import DEFAULT_PUBLIC_BASE_URL
from . import audit
from .commands import RegisterJuror, SetConflict
from .errors import NotFound, Refused
from .loading import get_contest
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


def sign_in_ticket(settings: ServiceSettings, juror_id: uuid.UUID, *, now: float | None = None) -> str:
    """A ticket that signs the juror in, as their personal token does, for SIGN_IN_TTL_S."""
    return issue_grant(
        settings.grant_key.get_secret_value(), JUROR_SIGN_IN, str(juror_id), SIGN_IN_TTL_S, now=now
    )


def personal_link(settings: ServiceSettings, juror_id: uuid.UUID) -> str:
    """The web front's sign-in page with the juror's ticket (carried by JurorAssigned, JurorReminderDue)."""
    base = str(getattr(settings, "public_base_url", DEFAULT_PUBLIC_BASE_URL)).rstrip("/")
    return f"{base}/jury/sign-in?ticket={sign_in_ticket(settings, juror_id)}"


def is_sign_in_ticket(token: str) -> bool:
    return token.startswith(SIGN_IN_PREFIX)


async def juror_by_ticket(runtime: ServiceRuntime, ticket: str) -> JurorRow | None:
    """The juror a genuine, unexpired sign-in ticket names; None for any other ticket."""
    try:
        grant = check_grant(runtime.settings.grant_key.get_secret_value(), ticket, JUROR_SIGN_IN)
        juror_id = uuid.UUID(grant.subject)
    except (GrantRefused, ValueError):
        return None
    async with runtime.sessions() as session:
        return await session.get(JurorRow, juror_id)


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
    if any(s.status == "closed" for s in stage_list) and all(s.status == "closed" for s in stage_list):
        raise Refused("Every stage of this contest is closed; a conflict can no longer change anything.")
    live = [s.id for s in stage_list if s.status != "closed"]
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
