"""Applying a stage's advancement rule to one ranking group, with the reason for every entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .entry_statistics import comparison_value
from .stages import (
    AdvancementRule,
    PlacesPerNomination,
    ScoreThreshold,
    TieBreak,
    TopOverall,
    TopPerNomination,
)
from .tie_breaks import TIE_BREAK_LABELS, DecidedBy, OrderedGroup, Separation, aggregate_ties, deciding_rule

MAX_NAMED_TIES = 5


@dataclass(frozen=True, slots=True)
class GroupDecision:
    """The outcome of one entry within its group."""

    rank: int
    advanced: bool
    place: int | None
    decided_by: str
    reason: str


@dataclass(frozen=True, slots=True)
class TieThatMatters:
    """Entries the chain cannot separate where advancement or a place depends on their order."""

    entry_ids: tuple[str, ...]
    where: str


def rule_summary(rule: AdvancementRule) -> str:
    """The rule in words, as it appears in reasons."""
    if isinstance(rule, TopOverall):
        return f"top {rule.n} overall advance"
    if isinstance(rule, TopPerNomination):
        return f"top {rule.n} per nomination advance"
    if isinstance(rule, ScoreThreshold):
        return f"aggregate of at least {rule.minimum:.2f} advances"
    return f"{rule.k} place{'s' if rule.k > 1 else ''} per nomination"


def ties_that_matter(rule: AdvancementRule, group: OrderedGroup, scope: str) -> list[TieThatMatters]:
    """Tie classes that straddle the cut-off, or (in a final) share a place; empty if none."""
    if isinstance(rule, ScoreThreshold):
        return []
    if isinstance(rule, PlacesPerNomination):
        starts = sorted({group.classes[i] for i in range(min(rule.k, len(group.ordered)))})
        tied = [(a, b) for a, b in starts if b - a > 1]
        where = f"places 1..{rule.k} {scope}"
    else:
        cut = rule.n
        tied = (
            [group.classes[cut - 1]] if cut < len(group.ordered) and group.classes[cut - 1][1] > cut else []
        )
        where = f"cut-off of the top {cut} {scope}"
    return [TieThatMatters(tuple(c.entry_id for c in group.ordered[a:b]), where) for a, b in tied]


def decide_group(
    rule: AdvancementRule, group: OrderedGroup, scope: str, chain: Sequence[TieBreak]
) -> list[GroupDecision]:
    """Rank, advancement, place and reason of every candidate of the group, in group order."""
    decisions = []
    for index, candidate in enumerate(group.ordered):
        rank = group.classes[index][0] + 1
        advanced, place = _advances(rule, index, candidate.aggregate)
        decided = deciding_rule(group, index, chain)
        standing = (
            f"place {place}" if place is not None else f"rank {rank}"
        ) + f" of {len(group.ordered)} {scope} (aggregate {candidate.aggregate:.2f})"
        reason = f"{standing}; {_verdict(rule, advanced, place)}{_tie_note(group, index, decided)}"
        decisions.append(
            GroupDecision(rank=rank, advanced=advanced, place=place, decided_by=decided.value, reason=reason)
        )
    return decisions


def _advances(rule: AdvancementRule, index: int, aggregate: float) -> tuple[bool, int | None]:
    if isinstance(rule, ScoreThreshold):
        return aggregate >= comparison_value(rule.minimum), None
    if isinstance(rule, PlacesPerNomination):
        return (True, index + 1) if index < rule.k else (False, None)
    return index < rule.n, None


def _verdict(rule: AdvancementRule, advanced: bool, place: int | None) -> str:
    summary = rule_summary(rule)
    if isinstance(rule, PlacesPerNomination):
        return summary if place is not None else f"no place: {summary}"
    if isinstance(rule, ScoreThreshold):
        return summary if advanced else f"below the threshold: {summary}"
    return summary if advanced else f"only the {summary}"


def _tie_note(group: OrderedGroup, index: int, decided: DecidedBy) -> str:
    if decided is Separation.AGGREGATE:
        return ""
    others = aggregate_ties(group, index)
    named = ", ".join(others[:MAX_NAMED_TIES]) + (
        f" and {len(others) - MAX_NAMED_TIES} more" if len(others) > MAX_NAMED_TIES else ""
    )
    tied = f"; tied with {named} on aggregate {group.ordered[index].aggregate:.2f}"
    if decided is Separation.UNBROKEN_TIE:
        return f"{tied}; no tie-break separates them, so they share rank {group.classes[index][0] + 1}"
    return f"{tied}; decided by {TIE_BREAK_LABELS[decided]}"
