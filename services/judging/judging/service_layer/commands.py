"""Commands: what an organiser or a juror asks the judging service to do (imperative names)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kaleidoscope_shared.contracts.email import Email

from ..domain import Aggregation, TieBreak


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # a stored infinity breaks the stage


class RegisterJuror(Command):
    """Add a member to the contest's jury; the answer carries their personal token, shown once."""

    name: str = Field(min_length=1, max_length=300)
    position: str = Field("", max_length=300)
    library: str = Field("", max_length=500)
    territory_code: str = Field("", max_length=100)
    email: Email | None = None
    language: Literal["ru", "en"] = "ru"


class UpdateJuror(Command):
    """Change a juror's details: only the fields given change. A field left out keeps its value; only
    the e-mail may be null (the juror has none): the API document says so, and a null for another
    field is refused with 422 (`update_juror`). Their `None` defaults only mean "not given"."""

    model_config = ConfigDict(json_schema_extra=lambda schema: _only_email_nullable(schema))

    name: str | None = Field(None, min_length=1, max_length=300)
    position: str | None = Field(None, max_length=300)
    library: str | None = Field(None, max_length=500)
    territory_code: str | None = Field(None, max_length=100)
    email: Email | None = None
    language: Literal["ru", "en"] | None = None


def _only_email_nullable(schema: dict[str, Any]) -> None:
    for name, field in schema.get("properties", {}).items():
        variants = field.get("anyOf")
        if name == "email" or not variants:
            continue
        kept = [variant for variant in variants if variant.get("type") != "null"]
        if len(kept) == 1:
            del field["anyOf"]
            field.update(kept[0])
        field.pop("default", None)


class SetConflict(Command):
    """The organiser rules that a juror may not judge an entry."""

    juror_id: uuid.UUID
    entry_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=1000)


class Recuse(Command):
    """A juror declares a conflict of interest with an entry."""

    entry_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=1000)


class CriterionIn(Command):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000, description="what the jurors judge by it, shown to them")
    weight: float = Field(gt=0)
    scale_min: float = 0
    scale_max: float = 10


class AdvancementIn(Command):
    """`top_overall` / `top_per_nomination` take `n`, `score_threshold` takes `minimum`,
    `places_per_nomination` (a final) takes `k`."""

    rule: Literal["top_overall", "top_per_nomination", "score_threshold", "places_per_nomination"]
    n: int | None = Field(None, ge=1)
    minimum: float | None = None
    k: int | None = Field(None, ge=1)


class AssignmentIn(Command):
    """`every_juror` (all jurors × all entries, except conflicts) or `jurors_per_entry` (k per entry, capped)."""

    mode: Literal["every_juror", "jurors_per_entry"] = "every_juror"
    k: int | None = Field(None, ge=1)
    cap_per_juror: int | None = Field(None, ge=1)
    seed: int = 0


class DeclareStage(Command):
    """Declare the next stage of the contest, before it opens."""

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["review", "final"]
    criteria: list[CriterionIn] = Field(min_length=1, max_length=50)
    aggregation: Aggregation = Aggregation.MEAN
    trim_fraction: float = 0.1
    normalisation_min_scores: int | None = Field(
        None, description="z-score jurors with at least this many sheets; none: no normalisation"
    )
    advancement: AdvancementIn
    tie_breaks: list[TieBreak] = [TieBreak.HIGHER_MEDIAN, TieBreak.MORE_TOP_MARKS]
    assignment: AssignmentIn = AssignmentIn()
    deadline: AwareDatetime | None = None
    blind: bool = False
    held_at: AwareDatetime | None = Field(
        None, description="a final's public defence: when it takes place (told to the finalists)"
    )
    venue: str | None = Field(
        None,
        max_length=500,
        description="a final's public defence: where it takes place (told to the finalists)",
    )


class GiveScore(Command):
    """A juror's marks for one entry: criterion name → mark. Giving it again revises the sheet."""

    marks: dict[str, float]


class OrderTiedEntries(Command):
    """The chair's decision: entries in the order the chair ranks them (best first)."""

    entry_ids: list[uuid.UUID] = Field(min_length=1)


class PrizeIn(Command):
    kind: Literal["cash", "sponsor", "other"]
    description: str = Field(min_length=1, max_length=500)
    amount: Decimal | None = None
    currency: str | None = None
    sponsor: str | None = None


class PlacePrizes(Command):
    place: int = Field(ge=1)
    prizes: list[PrizeIn]
    nomination_code: str | None = None


class MentionIn(Command):
    entry_id: uuid.UUID
    text: str = Field(min_length=1, max_length=1000)


class SetAwards(Command):
    """What the final awards: prizes per place (optionally per nomination) and special mentions."""

    places: list[PlacePrizes] = []
    special_mentions: list[MentionIn] = []


class SetRunningOrder(Command):
    """The order finalists defend their work in."""

    entry_ids: list[uuid.UUID] = Field(min_length=1)


class StartDefence(Command):
    """The entry now defending before the jury."""

    entry_id: uuid.UUID
