"""Closing a stage: every entry's aggregate, rank, whether it advanced, and why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .advancement import GroupDecision, TieThatMatters, decide_group, ties_that_matter
from .entries import Entry, EntryId, entries_in_play
from .entry_statistics import EntryStatistics, comparison_value, compute_entry_statistics
from .errors import UnresolvedTie
from .jury import JurorId
from .score_table import ScoreTable
from .stages import Normalisation, ScoreThreshold, Stage, TopOverall
from .tie_breaks import Candidate, effective_chain, order_group

_UNSET: Normalisation = Normalisation()


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    """One entry's result in a stage. `rank` is None for entries that were withdrawn or unscored.

    `decided_by` is "aggregate", a tie-break's name, "unbroken tie", "withdrawn" or "no scores".
    """

    entry_id: EntryId
    nomination_code: str
    aggregate: float | None
    median: float | None
    top_marks: int
    juror_count: int
    rank: int | None
    ranked_among: int
    advanced: bool
    place: int | None
    decided_by: str
    reason: str


@dataclass(frozen=True, eq=False)
class StageRanking:
    """The result of closing a stage: one outcome per entry, grouped, best first."""

    stage_name: str
    outcomes: tuple[EntryOutcome, ...]
    statistics: EntryStatistics
    _outcome_index: dict[EntryId, int] = field(init=False, repr=False)
    _statistics_index: dict[EntryId, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_outcome_index", {o.entry_id: i for i, o in enumerate(self.outcomes)})
        statistics_index = {entry_id: i for i, entry_id in enumerate(self.statistics.entry_ids)}
        object.__setattr__(self, "_statistics_index", statistics_index)

    @property
    def advanced_entry_ids(self) -> tuple[EntryId, ...]:
        """Entries that advance (or, in a final, hold a place), in ranking order."""
        return tuple(o.entry_id for o in self.outcomes if o.advanced)

    def outcome_for(self, entry_id: EntryId) -> EntryOutcome:
        """The outcome of one entry (KeyError if it was not given to `rank_stage`)."""
        return self.outcomes[self._outcome_index[entry_id]]

    def juror_scores_for(self, entry_id: EntryId) -> dict[JurorId, float]:
        """Each juror's weighted score of the entry, as counted (normalised where normalisation applied)."""
        position = self._statistics_index.get(entry_id)
        return {} if position is None else self.statistics.juror_scores_for(position)


def rank_stage(
    stage: Stage,
    entries: Iterable[Entry],
    scores: ScoreTable,
    chair_ordering: Sequence[EntryId] = (),
    normalisation: Normalisation | None = _UNSET,
) -> StageRanking:
    """Rank the stage's entries and apply its advancement rule.

    Deterministic and independent of the order of `entries` and of the rows in `scores`. Withdrawn
    entries and rows for entries not in `entries` are ignored. `chair_ordering` lists entry ids best
    first and settles ties the chain cannot. `normalisation` overrides the stage's (for comparisons).
    Raises UnresolvedTie when a tie decides advancement or a place and nothing breaks it.
    """
    all_entries = sorted(entries, key=lambda e: e.entry_id)
    in_play = entries_in_play(all_entries)
    applied = stage.normalisation if normalisation is _UNSET else normalisation
    stats = compute_entry_statistics(stage, [e.entry_id for e in in_play], scores, applied)
    chair_rank = {entry_id: i for i, entry_id in enumerate(chair_ordering)}
    chain = effective_chain(stage.tie_breaks)
    outcomes: list[EntryOutcome] = []
    ties: list[TieThatMatters] = []
    for scope, members in _ranking_groups(stage, in_play):
        scored = [p for p in members if stats.juror_counts[p] > 0]
        group = order_group([_candidate(stats, p, in_play[p]) for p in scored], chain, chair_rank)
        ties.extend(ties_that_matter(stage.advancement, group, scope))
        decisions = decide_group(stage.advancement, group, scope, chain)
        for candidate, decision in zip(group.ordered, decisions, strict=True):
            outcomes.append(
                _outcome(stats, in_play[candidate.position], candidate.position, decision, len(scored))
            )
        outcomes.extend(_unscored(in_play[p]) for p in members if stats.juror_counts[p] == 0)
    if ties:
        raise UnresolvedTie([t.entry_ids for t in ties], [t.where for t in ties])
    outcomes.extend(_withdrawn(entry) for entry in all_entries if entry.withdrawn)
    return StageRanking(stage.name, tuple(outcomes), stats)


def _ranking_groups(stage: Stage, in_play: Sequence[Entry]) -> list[tuple[str, list[int]]]:
    # Positions of entries in `in_play`, one group overall or one per nomination (in code order).
    if isinstance(stage.advancement, TopOverall | ScoreThreshold):
        return [("overall", list(range(len(in_play))))]
    groups: dict[str, list[int]] = {}
    for position, entry in enumerate(in_play):
        groups.setdefault(entry.nomination_code, []).append(position)
    return [(f"in nomination {code}", groups[code]) for code in sorted(groups)]


def _candidate(stats: EntryStatistics, position: int, entry: Entry) -> Candidate:
    return Candidate(
        entry_id=entry.entry_id,
        position=position,
        aggregate=comparison_value(float(stats.aggregates[position])),
        median=comparison_value(float(stats.medians[position])),
        top_marks=int(stats.top_marks[position]),
        submitted_at=entry.submitted_at,
    )


def _outcome(
    stats: EntryStatistics, entry: Entry, position: int, decision: GroupDecision, ranked_among: int
) -> EntryOutcome:
    return EntryOutcome(
        entry_id=entry.entry_id,
        nomination_code=entry.nomination_code,
        aggregate=float(stats.aggregates[position]),
        median=float(stats.medians[position]),
        top_marks=int(stats.top_marks[position]),
        juror_count=int(stats.juror_counts[position]),
        rank=decision.rank,
        ranked_among=ranked_among,
        advanced=decision.advanced,
        place=decision.place,
        decided_by=decision.decided_by,
        reason=decision.reason,
    )


def _unscored(entry: Entry) -> EntryOutcome:
    return _not_ranked(entry, "no scores", "not ranked: no juror scored this entry; it cannot advance")


def _withdrawn(entry: Entry) -> EntryOutcome:
    return _not_ranked(entry, "withdrawn", "not ranked: the entry was withdrawn")


def _not_ranked(entry: Entry, decided_by: str, reason: str) -> EntryOutcome:
    return EntryOutcome(
        entry_id=entry.entry_id,
        nomination_code=entry.nomination_code,
        aggregate=None,
        median=None,
        top_marks=0,
        juror_count=0,
        rank=None,
        ranked_among=0,
        advanced=False,
        place=None,
        decided_by=decided_by,
        reason=reason,
    )
