"""A declared stage as stored JSON and as the domain's `Stage`, both ways."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from ..domain import (
    AdvancementRule,
    AssignmentMode,
    Awards,
    Criterion,
    EveryJurorEveryEntry,
    InvalidStageDefinition,
    JurorsPerEntry,
    Normalisation,
    PlacesPerNomination,
    Prize,
    PrizeKind,
    ScoreThreshold,
    SpecialMention,
    Stage,
    StageKind,
    TopOverall,
    TopPerNomination,
)
from .commands import AdvancementIn, AssignmentIn, DeclareStage, SetAwards


def stage_from_declaration(command: DeclareStage) -> Stage:
    """The domain stage a declaration describes; raises InvalidStageDefinition when it can't be one."""
    return Stage(
        name=command.name,
        kind=StageKind(command.kind),
        criteria=tuple(Criterion(c.name, c.weight, c.scale_min, c.scale_max) for c in command.criteria),
        advancement=_advancement(command.advancement),
        aggregation=command.aggregation,
        trim_fraction=command.trim_fraction,
        normalisation=(
            Normalisation(command.normalisation_min_scores) if command.normalisation_min_scores else None
        ),
        tie_breaks=tuple(command.tie_breaks),
        assignment=_assignment(command.assignment),
        deadline=command.deadline,
    )


def stage_from_definition(definition: dict[str, Any]) -> Stage:
    """The domain stage a stored declaration (a JSON column's value) describes."""
    return _stage_from_text(json.dumps(definition, sort_keys=True))


@functools.lru_cache(maxsize=256)
def _stage_from_text(text: str) -> Stage:
    # stages are immutable: each declaration is parsed once, keyed by its canonical text
    return stage_from_declaration(DeclareStage.model_validate_json(text))


def _advancement(rule: AdvancementIn) -> AdvancementRule:
    needed = {"top_overall": "n", "top_per_nomination": "n", "score_threshold": "minimum"}.get(rule.rule, "k")
    value = getattr(rule, needed)
    if value is None:
        raise InvalidStageDefinition(f"Advancement rule '{rule.rule}' needs '{needed}'.")
    built: dict[str, Callable[[Any], AdvancementRule]] = {
        "top_overall": TopOverall,
        "top_per_nomination": TopPerNomination,
        "score_threshold": ScoreThreshold,
        "places_per_nomination": PlacesPerNomination,
    }
    return built[rule.rule](value)


def _assignment(mode: AssignmentIn) -> AssignmentMode:
    if mode.mode == "every_juror":
        return EveryJurorEveryEntry()
    if mode.k is None or mode.cap_per_juror is None:
        raise InvalidStageDefinition("Assignment 'jurors_per_entry' needs 'k' and 'cap_per_juror'.")
    return JurorsPerEntry(mode.k, mode.cap_per_juror, mode.seed)


def awards_from_definition(awards: dict[str, Any]) -> Awards:
    """The organiser's awards as the domain reads them (no prizes when none were set)."""
    command = SetAwards.model_validate(awards)
    by_place: dict[int, tuple[Prize, ...]] = {}
    by_nomination: dict[tuple[str, int], tuple[Prize, ...]] = {}
    for place in command.places:
        prizes = tuple(
            Prize(PrizeKind(p.kind), p.description, p.amount, p.currency, p.sponsor) for p in place.prizes
        )
        if place.nomination_code:
            by_nomination[(place.nomination_code, place.place)] = prizes
        else:
            by_place[place.place] = prizes
    mentions = tuple(SpecialMention(str(m.entry_id), m.text) for m in command.special_mentions)
    return Awards(by_place, by_nomination, mentions)
