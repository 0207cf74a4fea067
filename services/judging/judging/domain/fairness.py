"""Fairness report of a stage: harsh and lenient jurors, entries the jury disagrees on, and whether
normalising jurors would change who advances or wins."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .entries import Entry, EntryId, entries_in_play
from .entry_statistics import EntryStatistics, compute_entry_statistics
from .errors import UnresolvedTie
from .jury import JurorId
from .ranking import rank_stage
from .score_table import ScoreTable
from .stages import Normalisation, Stage


@dataclass(frozen=True, slots=True)
class JurorHarshness:
    """Mean of (juror's score − mean of the other jurors' scores) over entries others scored too.

    Negative: harsher than the rest; positive: more lenient. None when no entry was shared.
    """

    juror_id: JurorId
    mean_deviation: float | None
    shared_entries: int


@dataclass(frozen=True, slots=True)
class EntryDisagreement:
    """Spread (population standard deviation) of the jurors' weighted scores of one entry."""

    entry_id: EntryId
    std_dev: float | None
    juror_count: int


@dataclass(frozen=True, slots=True)
class NormalisationEffect:
    """Who advances (or places) with and without normalisation.

    `changes_outcome` is None when a tie the chain cannot break leaves one of the rankings open.
    """

    changes_outcome: bool | None
    only_with_normalisation: tuple[EntryId, ...]
    only_without_normalisation: tuple[EntryId, ...]
    note: str


@dataclass(frozen=True, slots=True)
class FairnessReport:
    """The fairness report of one stage (raw, unnormalised weighted scores)."""

    stage_name: str
    jurors: tuple[JurorHarshness, ...]
    entries: tuple[EntryDisagreement, ...]
    normalisation: NormalisationEffect


def fairness_report(
    stage: Stage,
    entries: Iterable[Entry],
    scores: ScoreTable,
    normalisation: Normalisation | None = None,
    chair_ordering: Sequence[EntryId] = (),
) -> FairnessReport:
    """Report on the stage; `normalisation` to compare with defaults to the stage's own, else min 5 scores."""
    all_entries = list(entries)
    in_play = entries_in_play(all_entries)
    stats = compute_entry_statistics(stage, [e.entry_id for e in in_play], scores, None)
    compared = normalisation or stage.normalisation or Normalisation()
    effect = normalisation_effect(stage, all_entries, scores, compared, chair_ordering)
    return FairnessReport(stage.name, juror_harshness(stats), entry_disagreement(stats), effect)


def juror_harshness(stats: EntryStatistics) -> tuple[JurorHarshness, ...]:
    """Harshness of every juror with scores, in id order."""
    entries, jurors, raw = stats.row_entries, stats.row_jurors, stats.raw_scores
    count = np.bincount(entries, minlength=len(stats.entry_ids))[entries]
    total = np.bincount(entries, weights=raw, minlength=len(stats.entry_ids))[entries]
    shared = count > 1
    others_mean = np.divide(total - raw, count - 1, out=np.zeros_like(raw), where=shared)
    n_shared = np.bincount(jurors[shared], minlength=len(stats.juror_ids))
    sums = np.bincount(jurors[shared], weights=(raw - others_mean)[shared], minlength=len(stats.juror_ids))
    has_rows = np.bincount(jurors, minlength=len(stats.juror_ids)) > 0
    return tuple(
        JurorHarshness(juror_id, float(sums[j] / n_shared[j]) if n_shared[j] else None, int(n_shared[j]))
        for j, juror_id in enumerate(stats.juror_ids)
        if has_rows[j]
    )


def entry_disagreement(stats: EntryStatistics) -> tuple[EntryDisagreement, ...]:
    """Spread of juror scores for every entry in play, in id order."""
    entries, raw, n = stats.row_entries, stats.raw_scores, len(stats.entry_ids)
    counts = np.bincount(entries, minlength=n)
    means = np.bincount(entries, weights=raw, minlength=n) / np.maximum(counts, 1)
    variances = np.bincount(entries, weights=(raw - means[entries]) ** 2, minlength=n) / np.maximum(counts, 1)
    return tuple(
        EntryDisagreement(entry_id, float(np.sqrt(variances[i])) if counts[i] else None, int(counts[i]))
        for i, entry_id in enumerate(stats.entry_ids)
    )


def normalisation_effect(
    stage: Stage,
    entries: Sequence[Entry],
    scores: ScoreTable,
    normalisation: Normalisation,
    chair_ordering: Sequence[EntryId] = (),
) -> NormalisationEffect:
    """Compare who advances (or places) ranked without and with `normalisation`."""
    outcomes = []
    for applied in (None, normalisation):
        try:
            ranking = rank_stage(stage, entries, scores, chair_ordering, normalisation=applied)
        except UnresolvedTie as tie:
            label = "with" if applied else "without"
            return NormalisationEffect(None, (), (), f"undecided: {label} normalisation, {tie}")
        outcomes.append({(o.entry_id, o.place) for o in ranking.outcomes if o.advanced})
    without, with_ = outcomes
    only_with = tuple(sorted(e for e, _ in with_ - without))
    only_without = tuple(sorted(e for e, _ in without - with_))
    changes = without != with_
    note = "normalisation changes who advances or places" if changes else "normalisation changes nothing"
    return NormalisationEffect(changes, only_with, only_without, note)
