"""From score rows to per-entry numbers: weighted juror scores, optional normalisation, aggregate,
median and top-mark counts. Vectorised; every sum runs in a canonical order so results are exact
functions of the scores, never of the order they arrived in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .entries import EntryId
from .jury import JurorId
from .score_table import FloatArray, IntArray, ScoreTable
from .stages import Aggregation, Normalisation, Stage

COMPARISON_DIGITS = 9
"""Aggregates and medians are compared rounded to this many decimals, so that mathematically equal
values computed along different paths tie instead of differing in the last bit."""


@dataclass(frozen=True, eq=False)
class EntryStatistics:
    """Per entry in play (`entry_ids`, sorted) and per score row (`row_*`, sorted by entry, juror)."""

    entry_ids: tuple[EntryId, ...]
    juror_ids: tuple[JurorId, ...]
    juror_counts: IntArray
    aggregates: FloatArray
    medians: FloatArray
    top_marks: IntArray
    row_entries: IntArray
    row_jurors: IntArray
    raw_scores: FloatArray
    scores: FloatArray
    normalised_jurors: frozenset[JurorId]

    def juror_scores_for(self, entry_position: int) -> dict[JurorId, float]:
        """Each juror's weighted (and, if normalised, adjusted) score of the entry at this position."""
        lo, hi = np.searchsorted(self.row_entries, [entry_position, entry_position + 1])
        return {
            self.juror_ids[j]: float(s)
            for j, s in zip(self.row_jurors[lo:hi], self.scores[lo:hi], strict=True)
        }


def compute_entry_statistics(
    stage: Stage,
    entry_ids: Sequence[EntryId],
    table: ScoreTable,
    normalisation: Normalisation | None,
) -> EntryStatistics:
    """Statistics of the entries `entry_ids` (sorted, in play); rows of other entries are ignored."""
    position = {entry_id: i for i, entry_id in enumerate(entry_ids)}
    position_of_code = np.asarray([position.get(e, -1) for e in table.entry_ids], dtype=np.int64)
    row_entries = position_of_code[table.entry_codes] if len(table) else table.entry_codes
    keep = row_entries >= 0
    row_entries, row_jurors, marks = row_entries[keep], table.juror_codes[keep], table.marks[keep]
    raw = weighted_scores(stage, marks)
    scores, normalised = normalise_scores(raw, row_jurors, len(table.juror_ids), normalisation)
    counts, aggregates, medians = _aggregate(stage, scores, row_entries, len(entry_ids))
    top = np.bincount(row_entries, weights=_top_marks_per_row(stage, marks), minlength=len(entry_ids))
    return EntryStatistics(
        entry_ids=tuple(entry_ids),
        juror_ids=table.juror_ids,
        juror_counts=counts,
        aggregates=aggregates,
        medians=medians,
        top_marks=top.astype(np.int64),
        row_entries=row_entries,
        row_jurors=row_jurors,
        raw_scores=raw,
        scores=scores,
        normalised_jurors=frozenset(table.juror_ids[j] for j in np.flatnonzero(normalised)),
    )


def weighted_scores(stage: Stage, marks: FloatArray) -> FloatArray:
    """Each row's weighted mean of its marks, on the criteria's scale."""
    total = np.zeros(len(marks), dtype=np.float64)
    for column, criterion in enumerate(stage.criteria):
        total += marks[:, column] * criterion.weight
    return total / stage.total_weight


def normalise_scores(
    raw: FloatArray, row_jurors: IntArray, juror_count: int, normalisation: Normalisation | None
) -> tuple[FloatArray, np.ndarray]:
    """Z-score rows of jurors with at least `min_scores` rows, rescaled to the pooled mean and spread.

    Returns the scores and a boolean mask of the jurors that were normalised.
    """
    per_juror = np.bincount(row_jurors, minlength=juror_count)
    if normalisation is None or len(raw) == 0:
        return raw, np.zeros(juror_count, dtype=bool)
    means = np.bincount(row_jurors, weights=raw, minlength=juror_count) / np.maximum(per_juror, 1)
    deviations = raw - means[row_jurors]
    spreads = np.sqrt(
        np.bincount(row_jurors, weights=deviations**2, minlength=juror_count) / np.maximum(per_juror, 1)
    )
    normalised = per_juror >= normalisation.min_scores
    row_spread = spreads[row_jurors]
    # A juror who gave every entry the same score expresses no preference: z = 0.
    z = np.divide(deviations, row_spread, out=np.zeros_like(raw), where=row_spread > 0)
    adjusted = raw.mean() + raw.std() * z
    return np.where(normalised[row_jurors], adjusted, raw), normalised


def _aggregate(
    stage: Stage, scores: FloatArray, row_entries: IntArray, entry_count: int
) -> tuple[IntArray, FloatArray, FloatArray]:
    counts = np.bincount(row_entries, minlength=entry_count).astype(np.int64)
    # Sorting each entry's scores by value makes every sum a function of the multiset of scores.
    order = np.lexsort((scores, row_entries))
    ordered, ordered_entries = scores[order], row_entries[order]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    scored = counts > 0
    medians = np.full(entry_count, np.nan)
    lo, hi = starts + (counts - 1) // 2, starts + counts // 2
    medians[scored] = (ordered[lo[scored]] + ordered[hi[scored]]) / 2
    trim = _trim_counts(stage, counts)
    rank_in_entry = np.arange(len(ordered)) - starts[ordered_entries]
    kept = (rank_in_entry >= trim[ordered_entries]) & (rank_in_entry < (counts - trim)[ordered_entries])
    sums = np.bincount(ordered_entries[kept], weights=ordered[kept], minlength=entry_count)
    aggregates = np.full(entry_count, np.nan)
    aggregates[scored] = sums[scored] / (counts - 2 * trim)[scored]
    if stage.aggregation is Aggregation.MEDIAN:
        aggregates = medians.copy()
    return counts, aggregates, medians


def _trim_counts(stage: Stage, counts: IntArray) -> IntArray:
    if stage.aggregation is not Aggregation.TRIMMED_MEAN:
        return np.zeros_like(counts)
    per_side = np.floor(counts * stage.trim_fraction + 1e-9).astype(np.int64)
    trimmed: IntArray = np.minimum(per_side, np.maximum((counts - 1) // 2, 0))
    return trimmed


def _top_marks_per_row(stage: Stage, marks: FloatArray) -> FloatArray:
    tops = np.zeros(len(marks), dtype=np.float64)
    for column, criterion in enumerate(stage.criteria):
        tops += marks[:, column] == criterion.scale_max
    return tops


def comparison_value(value: float) -> float:
    """`value` as ranking compares it (see COMPARISON_DIGITS)."""
    return round(value, COMPARISON_DIGITS)
