"""What the organiser's, a juror's and the public's reads answer with: each one use case over the unit
of work (the routes open no session and parse no column)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..domain import PublishedHead, StageStatus
from . import audit_log
from .errors import NotFound
from .ports import EntryRecord, JurorRecord, Repository, StageRecord, UnitOfWorkFactory


def unknown_contest(contest_id: uuid.UUID) -> NotFound:
    return NotFound(f"No contest {contest_id} is known to judging (it has not been announced yet).")


async def _known_contest(repository: Repository, contest_id: uuid.UUID) -> None:
    if not await repository.has_contest(contest_id):
        raise unknown_contest(contest_id)


async def _stage_in(repository: Repository, contest_id: uuid.UUID, stage_id: uuid.UUID) -> StageRecord:
    stage = await repository.get_stage(stage_id)
    if stage is None or stage.contest_id != contest_id:
        raise NotFound(f"Contest {contest_id} has no stage {stage_id}.")
    return stage


async def stages_of_contest(unit_of_work: UnitOfWorkFactory, contest_id: uuid.UUID) -> list[StageRecord]:
    """The contest's stages in order (404 for a contest judging does not know)."""
    async with unit_of_work() as uow:
        await _known_contest(uow.repository, contest_id)
        return await uow.repository.stages(contest_id)


async def one_stage(
    unit_of_work: UnitOfWorkFactory, contest_id: uuid.UUID, stage_id: uuid.UUID
) -> StageRecord:
    """One stage of the contest (404 for a stage of another contest)."""
    async with unit_of_work() as uow:
        return await _stage_in(uow.repository, contest_id, stage_id)


async def jury_of(unit_of_work: UnitOfWorkFactory, contest_id: uuid.UUID) -> list[JurorRecord]:
    """The contest's jury (404 for a contest judging does not know)."""
    async with unit_of_work() as uow:
        await _known_contest(uow.repository, contest_id)
        return await uow.repository.jurors(contest_id)


@dataclass(frozen=True)
class AssignedEntry:
    """An entry in a juror's list: `authors` is None in a blind stage."""

    id: uuid.UUID
    nomination_code: str
    title: str
    authors: list[dict[str, str]] | None
    scored: bool


async def entries_assigned(
    unit_of_work: UnitOfWorkFactory, juror: JurorRecord, contest_id: uuid.UUID, stage_id: uuid.UUID
) -> list[AssignedEntry]:
    """The entries assigned to the juror in the stage (a conflict removes the assignment), each
    marked scored or not, by nomination then title; a blind stage leaves the authors out."""
    async with unit_of_work() as uow:
        stage = await _stage_in(uow.repository, contest_id, stage_id)
        entries = await uow.repository.assigned_entries(stage_id, juror.id)
        scored = await uow.repository.scored_entry_ids(stage_id, juror.id)
    return [
        AssignedEntry(
            id=e.id,
            nomination_code=e.nomination_code,
            title=e.title,
            authors=None if stage.blind else e.authors,
            scored=e.id in scored,
        )
        for e in entries
    ]


async def entries_known(unit_of_work: UnitOfWorkFactory, contest_id: uuid.UUID) -> list[EntryRecord]:
    """The entries judging knows of in a contest, by title (none for a contest it does not know)."""
    async with unit_of_work() as uow:
        return await uow.repository.entries(contest_id)


@dataclass(frozen=True)
class VerifiedHead:
    """One published head checked against the log: the stage that published it (None for a head
    given by hand), record number `records` and its `hash`, and the first broken record (None: passed)."""

    stage_id: uuid.UUID | None
    stage_name: str | None
    records: int
    hash: str
    first_broken: int | None

    @property
    def passed(self) -> bool:
        return self.first_broken is None


@dataclass(frozen=True)
class AuditVerification:
    """The contest's chain checked whole and against every head checked (the closed stages' first)."""

    records: int
    first_broken: int | None
    heads: list[VerifiedHead]

    @property
    def intact(self) -> bool:
        return self.first_broken is None


async def audit_verification(
    unit_of_work: UnitOfWorkFactory,
    contest_id: uuid.UUID,
    given: Sequence[PublishedHead] = (),
    last_hash: str | None = None,
    *,
    contest_must_exist: bool = True,
) -> AuditVerification:
    """The contest's audit chain checked against its stored head, the head every closed stage
    published, the `given` heads (from a public results page, say) and `last_hash`, the hash its last
    record must have; the heads come back in that order."""
    async with unit_of_work() as uow:
        if contest_must_exist:
            await _known_contest(uow.repository, contest_id)
        names = {s.id: s.name for s in await uow.repository.stages(contest_id)}
        published = list((await audit_log.stage_heads(uow.repository, contest_id)).values())
        heads = [h.published for h in published] + list(given)
        check = await audit_log.verify_chain(uow.repository, contest_id, heads, last_hash)
    sources: list[uuid.UUID | None] = [h.stage_id for h in published]
    sources += [None] * (len(check.heads) - len(published))
    return AuditVerification(
        records=check.records,
        first_broken=check.first_broken,
        heads=[
            VerifiedHead(
                stage_id=source,
                stage_name=None if source is None else names[source],
                records=c.head.records,
                hash=c.head.hash,
                first_broken=c.first_broken,
            )
            for source, c in zip(sources, check.heads, strict=True)
        ],
    )


async def audit_export(unit_of_work: UnitOfWorkFactory, contest_id: uuid.UUID) -> list[str]:
    """The contest's whole audit log, one JSON line per record, read in one transaction."""
    async with unit_of_work() as uow:
        await _known_contest(uow.repository, contest_id)
        return await audit_log.export_of(uow.repository, contest_id)


async def audit_page(
    unit_of_work: UnitOfWorkFactory, contest_id: uuid.UUID, offset: int, limit: int
) -> tuple[list[audit_log.LoggedRecord], int]:
    """A page of the contest's audit log in sequence order, and how many records it has in all."""
    async with unit_of_work() as uow:
        await _known_contest(uow.repository, contest_id)
        return await audit_log.page_of(uow.repository, contest_id, offset, limit)


@dataclass(frozen=True)
class ClosedStageHead:
    """The audit log's head when a stage closed (what its StageClosed published, kept in its row)."""

    stage_id: uuid.UUID
    stage_name: str
    closed_at: datetime | None
    hash: str
    records: int


async def closed_stage_heads(unit_of_work: UnitOfWorkFactory, contest_id: uuid.UUID) -> list[ClosedStageHead]:
    """For every closed stage, in order, the chain's head hash and length when it closed."""
    async with unit_of_work() as uow:
        await _known_contest(uow.repository, contest_id)
        heads = await audit_log.stage_heads(uow.repository, contest_id)
        stages = await uow.repository.stages(contest_id)
    return [
        ClosedStageHead(
            stage_id=s.id,
            stage_name=s.name,
            closed_at=s.closed_at,
            hash=heads[s.id].hash,
            records=heads[s.id].records,
        )
        for s in stages
        if s.status == StageStatus.CLOSED and s.id in heads
    ]
