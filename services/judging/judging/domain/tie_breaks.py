"""Ordering entries within a ranking group: aggregate first, then the stage's tie-break chain.

The chair's decision is always the last resort: when the stage's chain does not list it, it is
applied after the listed rules, so a tie the chain cannot break is settled by the chair ordering it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from .entries import EntryId
from .stages import TieBreak

TIE_BREAK_LABELS: Mapping[TieBreak, str] = {
    TieBreak.HIGHER_MEDIAN: "higher median",
    TieBreak.MORE_TOP_MARKS: "more top marks",
    TieBreak.EARLIER_SUBMISSION: "earlier submission",
    TieBreak.CHAIR_DECISION: "chair's decision",
}


class Separation(StrEnum):
    """How an entry stands apart from its neighbours when no tie-break was needed or none sufficed."""

    AGGREGATE = "aggregate"
    """No other entry of its group shares its aggregate."""
    UNBROKEN_TIE = "unbroken tie"
    """A neighbour ties with it on every rule of the chain."""


DecidedBy = TieBreak | Separation
"""What set an entry apart: its aggregate alone, the deepest tie-break needed, or nothing."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry with scores, as the ordering sees it (values already rounded for comparison)."""

    entry_id: EntryId
    position: int
    aggregate: float
    median: float
    top_marks: int
    submitted_at: datetime


def effective_chain(chain: Sequence[TieBreak]) -> tuple[TieBreak, ...]:
    """The stage's chain with the chair's decision appended if it is not listed."""
    return tuple(chain) if TieBreak.CHAIR_DECISION in chain else (*chain, TieBreak.CHAIR_DECISION)


def chain_keys(
    candidate: Candidate, chain: Sequence[TieBreak], chair_rank: Mapping[EntryId, int]
) -> tuple[Any, ...]:
    """Sort keys of the chain, smaller is better; entries the chair did not order come after those it did."""
    keys: list[Any] = []
    for rule in chain:
        if rule is TieBreak.HIGHER_MEDIAN:
            keys.append(-candidate.median)
        elif rule is TieBreak.MORE_TOP_MARKS:
            keys.append(-candidate.top_marks)
        elif rule is TieBreak.EARLIER_SUBMISSION:
            keys.append(candidate.submitted_at)
        else:
            keys.append(chair_rank.get(candidate.entry_id, len(chair_rank)))
    return tuple(keys)


@dataclass(frozen=True, slots=True)
class OrderedGroup:
    """Candidates best first; `classes` are runs the chain cannot separate, `aggregate_runs` runs
    that share an aggregate (both as (start, stop) index ranges, one per candidate)."""

    ordered: tuple[Candidate, ...]
    keys: tuple[tuple[Any, ...], ...]
    classes: tuple[tuple[int, int], ...]
    aggregate_runs: tuple[tuple[int, int], ...]


def order_group(
    candidates: Sequence[Candidate], chain: Sequence[TieBreak], chair_rank: Mapping[EntryId, int]
) -> OrderedGroup:
    """Sort best first by (aggregate, chain...), entry id last only to make listing stable."""
    keyed = sorted(((-c.aggregate, *chain_keys(c, chain, chair_rank)), c.entry_id, c) for c in candidates)
    keys = tuple(k for k, _, _ in keyed)
    return OrderedGroup(
        ordered=tuple(c for _, _, c in keyed),
        keys=keys,
        classes=_runs(keys),
        aggregate_runs=_runs([k[0] for k in keys]),
    )


def _runs(values: Sequence[Any]) -> tuple[tuple[int, int], ...]:
    # For each index, the (start, stop) range of the run of equal values around it.
    bounds: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(values) + 1):
        if index == len(values) or values[index] != values[start]:
            bounds.extend([(start, index)] * (index - start))
            start = index
    return tuple(bounds)


def deciding_rule(group: OrderedGroup, index: int, chain: Sequence[TieBreak]) -> DecidedBy:
    """What set the entry at `index` apart from its aggregate-tied neighbours.

    `Separation.AGGREGATE` when no other entry shares its aggregate; the deepest tie-break needed
    otherwise; `Separation.UNBROKEN_TIE` when a neighbour ties on every rule.
    """
    start, stop = group.aggregate_runs[index]
    depths: list[int] = []
    for neighbour in (index - 1, index + 1):
        if start <= neighbour < stop:
            depth = _first_difference(group.keys[index][1:], group.keys[neighbour][1:])
            if depth is None:
                return Separation.UNBROKEN_TIE
            depths.append(depth)
    return chain[max(depths)] if depths else Separation.AGGREGATE


def aggregate_ties(group: OrderedGroup, index: int) -> tuple[EntryId, ...]:
    """Ids of the other entries sharing the aggregate of the entry at `index`."""
    start, stop = group.aggregate_runs[index]
    return tuple(group.ordered[i].entry_id for i in range(start, stop) if i != index)


def _first_difference(a: Sequence[Any], b: Sequence[Any]) -> int | None:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), None)
