"""Routes of a juror's pages: who they are, their stages with their progress, one assigned entry whole."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from kaleidoscope_shared.http.openapi import problems

from ..service_layer import juror_views
from .access import CurrentJuror, RuntimeDep, SignedInJuror
from .schemas import (
    AttachmentForJuror,
    CriterionForJuror,
    EntryContentForJuror,
    JurorPublic,
    StageForJuror,
)

router = APIRouter(tags=["jury"], responses=problems(_409="The stage is not open."))


@router.get("/jurors/me", response_model=JurorPublic)
async def signed_in(juror: SignedInJuror) -> JurorPublic:
    """The juror a personal token or sign-in ticket belongs to, with their contest: what the web
    front's sign-in page asks, holding only the ticket of a personal link."""
    return JurorPublic.model_validate(juror)


@router.get("/contests/{contest_id}/my-stages", response_model=list[StageForJuror])
async def my_stages(contest_id: uuid.UUID, juror: CurrentJuror, runtime: RuntimeDep) -> list[StageForJuror]:
    """The contest's stages in order (declared ones too, by their status) with their criteria, how
    many entries are assigned to you and how many you have scored, and whether you may score now
    (in a final: only an entry defending or whose defence has ended)."""
    return [_stage_for_juror(s) for s in await juror_views.stages_for_juror(runtime, juror)]


def _stage_for_juror(stage: juror_views.JurorStage) -> StageForJuror:
    row = stage.row
    return StageForJuror(
        id=row.id,
        position=row.position,
        name=row.name,
        kind=row.kind,
        status=row.status,
        blind=row.blind,
        deadline=stage.definition.deadline,
        criteria=[CriterionForJuror.model_validate(c.model_dump()) for c in stage.definition.criteria],
        assigned=stage.assigned,
        scored=stage.scored,
        scoring_allowed=bool(stage.scorable_entry_ids),
        scoring_note=stage.scoring_note,
        scorable_entry_ids=stage.scorable_entry_ids,
        defending_entry_id=row.defending_entry_id,
        defended_entry_ids=stage.defended_entry_ids,
    )


@router.get(
    "/contests/{contest_id}/stages/{stage_id}/entries/{entry_id}", response_model=EntryContentForJuror
)
async def entry_content(
    contest_id: uuid.UUID, stage_id: uuid.UUID, entry_id: uuid.UUID, juror: CurrentJuror, runtime: RuntimeDep
) -> EntryContentForJuror:
    """An entry assigned to you, whole, while its stage is open: annotation, links, authors (none in
    a blind stage), attachments each with a 15-minute grant to fetch it from submissions. An entry not
    assigned to you, or one you have a conflict with, is not found (409 when the stage is not open)."""
    entry = await juror_views.entry_for_juror(runtime, juror, stage_id, entry_id)
    return EntryContentForJuror(
        id=entry.id,
        stage_id=entry.stage_id,
        nomination_code=entry.nomination_code,
        title=entry.title,
        annotation=entry.annotation,
        links=entry.links,
        authors=entry.authors,
        attachments=[AttachmentForJuror.model_validate(a) for a in entry.attachments],
        scored=entry.scored,
        withdrawn=entry.withdrawn,
    )
