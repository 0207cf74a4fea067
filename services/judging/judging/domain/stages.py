"""Stages as a contest declares them, in order, before they open: criteria, aggregation, rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .errors import InvalidStageDefinition


class StageKind(StrEnum):
    """A review stage decides who advances; a final decides places."""

    REVIEW = "review"
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class Criterion:
    """One thing jurors mark, on the scale `scale_min..scale_max`, counted with `weight`."""

    name: str
    weight: float
    scale_min: float
    scale_max: float

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidStageDefinition("A criterion needs a name.")
        if not self.weight > 0:
            raise InvalidStageDefinition(
                f"Criterion '{self.name}' needs a positive weight, not {self.weight}."
            )
        if not self.scale_min < self.scale_max:
            raise InvalidStageDefinition(
                f"Criterion '{self.name}' scale must run from a lower to a higher mark, "
                f"not {self.scale_min}..{self.scale_max}."
            )


class Aggregation(StrEnum):
    """How the jurors' weighted scores of an entry become its aggregate."""

    MEAN = "mean"
    MEDIAN = "median"
    TRIMMED_MEAN = "trimmed_mean"


@dataclass(frozen=True, slots=True)
class Normalisation:
    """Z-score each juror's weighted scores, rescaled to the stage's pooled mean and spread.

    Jurors with fewer than `min_scores` sheets in the stage keep their raw scores: too few samples
    say nothing reliable about how harsh or lenient they are.
    """

    min_scores: int = 5

    def __post_init__(self) -> None:
        if self.min_scores < 2:
            raise InvalidStageDefinition("Normalisation needs min_scores of at least 2 to measure a spread.")


@dataclass(frozen=True, slots=True)
class TopOverall:
    """The best `n` entries of the stage advance."""

    n: int


@dataclass(frozen=True, slots=True)
class TopPerNomination:
    """The best `n` entries of each nomination advance."""

    n: int


@dataclass(frozen=True, slots=True)
class ScoreThreshold:
    """Every entry whose aggregate is at least `minimum` advances."""

    minimum: float


@dataclass(frozen=True, slots=True)
class PlacesPerNomination:
    """A final's rule: places 1..k in each nomination (the seed: one winner per nomination)."""

    k: int


AdvancementRule = TopOverall | TopPerNomination | ScoreThreshold | PlacesPerNomination


class StageStatus(StrEnum):
    """Where a stage stands: declared (not open yet) → open (jurors score) → closed (results fixed)."""

    DECLARED = "declared"
    OPEN = "open"
    CLOSED = "closed"


class TieBreak(StrEnum):
    """Rules that order entries tied on their aggregate, applied in the stage's declared order."""

    HIGHER_MEDIAN = "higher_median"
    MORE_TOP_MARKS = "more_top_marks"
    EARLIER_SUBMISSION = "earlier_submission"
    CHAIR_DECISION = "chair_decision"


@dataclass(frozen=True, slots=True)
class EveryJurorEveryEntry:
    """Every juror judges every entry they have no conflict with."""


@dataclass(frozen=True, slots=True)
class JurorsPerEntry:
    """`k` non-conflicted jurors per entry, balanced, no juror above `cap_per_juror` entries."""

    k: int
    cap_per_juror: int
    seed: int = 0


AssignmentMode = EveryJurorEveryEntry | JurorsPerEntry


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of a contest, fixed before it opens."""

    name: str
    kind: StageKind
    criteria: tuple[Criterion, ...]
    advancement: AdvancementRule
    aggregation: Aggregation = Aggregation.MEAN
    trim_fraction: float = 0.1
    normalisation: Normalisation | None = None
    tie_breaks: tuple[TieBreak, ...] = (TieBreak.HIGHER_MEDIAN, TieBreak.MORE_TOP_MARKS)
    assignment: AssignmentMode = EveryJurorEveryEntry()
    deadline: datetime | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidStageDefinition("A stage needs a name.")
        _check_criteria(self.name, self.criteria)
        _check_advancement(self.name, self.kind, self.advancement)
        _check_assignment(self.name, self.assignment)
        if len(set(self.tie_breaks)) != len(self.tie_breaks):
            raise InvalidStageDefinition(f"Stage '{self.name}' lists a tie-break twice; list each once.")
        if not 0 <= self.trim_fraction < 0.5:
            raise InvalidStageDefinition(
                f"Stage '{self.name}' trim_fraction must be in [0, 0.5), not {self.trim_fraction}."
            )

    @property
    def criterion_names(self) -> tuple[str, ...]:
        """The criteria's names, in declared order."""
        return tuple(c.name for c in self.criteria)

    @property
    def total_weight(self) -> float:
        """Sum of the criteria's weights (a juror's weighted score divides by it)."""
        return sum(c.weight for c in self.criteria)


def _check_criteria(stage_name: str, criteria: Sequence[Criterion]) -> None:
    if not criteria:
        raise InvalidStageDefinition(f"Stage '{stage_name}' needs at least one criterion.")
    names = [c.name for c in criteria]
    if len(set(names)) != len(names):
        raise InvalidStageDefinition(f"Stage '{stage_name}' has two criteria with the same name: {names}.")


def _check_advancement(stage_name: str, kind: StageKind, rule: AdvancementRule) -> None:
    count = getattr(rule, "n", None) or getattr(rule, "k", None)
    if not isinstance(rule, ScoreThreshold) and (count is None or count < 1):
        raise InvalidStageDefinition(f"Stage '{stage_name}' advancement rule needs a count of at least 1.")
    if (kind is StageKind.FINAL) != isinstance(rule, PlacesPerNomination):
        raise InvalidStageDefinition(
            f"Stage '{stage_name}': a final awards places (PlacesPerNomination) and only a final does; "
            "use TopOverall, TopPerNomination or ScoreThreshold for a review stage."
        )


def _check_assignment(stage_name: str, mode: AssignmentMode) -> None:
    if isinstance(mode, JurorsPerEntry) and (mode.k < 1 or mode.cap_per_juror < 1):
        raise InvalidStageDefinition(
            f"Stage '{stage_name}' needs at least 1 juror per entry and a cap of at least 1 per juror."
        )


@dataclass(frozen=True, slots=True)
class ContestStages:
    """A contest's stages in the order they run; a final, if any, comes last."""

    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        if not self.stages:
            raise InvalidStageDefinition("A contest needs at least one stage.")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise InvalidStageDefinition(f"Stage names must be unique within a contest: {names}.")
        if any(s.kind is StageKind.FINAL for s in self.stages[:-1]):
            raise InvalidStageDefinition("Only the last stage of a contest can be a final.")

    def position_of(self, stage_name: str) -> int:
        """1-based position of the named stage."""
        for position, stage in enumerate(self.stages, start=1):
            if stage.name == stage_name:
                return position
        raise KeyError(f"No stage named '{stage_name}'; declared: {[s.name for s in self.stages]}.")

    def next_after(self, stage_name: str) -> Stage | None:
        """The stage that follows the named one, or None if it is the last."""
        position = self.position_of(stage_name)
        return self.stages[position] if position < len(self.stages) else None
