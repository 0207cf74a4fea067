"""Benchmark of closing a large review stage: rank 10,000 entries × 50 jurors × 5 criteria.

Builds seeded random data (every juror scores every entry, 3 nominations, top 3 per nomination)
and prints the median of 3 runs per scenario. Target: under 2 s per ranking.

    .venv/bin/python bench/judging_rank.py [--entries 10000] [--jurors 50] [--criteria 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np

from judging.domain import (
    Aggregation,
    Author,
    Criterion,
    Entry,
    Normalisation,
    ScoreTable,
    Stage,
    StageKind,
    TieBreak,
    TopPerNomination,
    fairness_report,
    rank_stage,
)

TARGET_SECONDS = 2.0
NOMINATIONS = ("service-guide", "information-collection", "idea-generator")


def build_entries(count: int) -> list[Entry]:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    return [
        Entry(
            entry_id=f"entry-{i:06d}",
            nomination_code=NOMINATIONS[i % len(NOMINATIONS)],
            authors=(Author(f"Author {i}", f"Library {i % 400}", f"T{i % 19:02d}"),),
            submitted_at=start + timedelta(seconds=i),
        )
        for i in range(count)
    ]


def build_scores(entries: list[Entry], jurors: int, criteria: int, seed: int) -> ScoreTable:
    rng = np.random.default_rng(seed)
    entry_codes = np.repeat(np.arange(len(entries)), jurors)
    juror_codes = np.tile(np.arange(jurors), len(entries))
    # Shuffle rows: arrival order must not matter, and the table must pay for putting them in order.
    order = rng.permutation(len(entry_codes))
    marks = rng.integers(0, 11, size=(len(entry_codes), criteria)).astype(np.float64)
    return ScoreTable.from_columns(
        [f"criterion-{c}" for c in range(criteria)],
        [f"juror-{j:03d}" for j in range(jurors)],
        [e.entry_id for e in entries],
        juror_codes[order],
        entry_codes[order],
        marks,
    )


def build_stage(criteria: int, aggregation: Aggregation, normalise: bool) -> Stage:
    return Stage(
        name="review",
        kind=StageKind.REVIEW,
        criteria=tuple(Criterion(f"criterion-{c}", 1 + c % 3, 0, 10) for c in range(criteria)),
        advancement=TopPerNomination(3),
        aggregation=aggregation,
        normalisation=Normalisation(min_scores=10) if normalise else None,
        tie_breaks=(TieBreak.HIGHER_MEDIAN, TieBreak.MORE_TOP_MARKS, TieBreak.EARLIER_SUBMISSION),
    )


def median_seconds(run: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--jurors", type=int, default=50)
    parser.add_argument("--criteria", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240301)
    args = parser.parse_args()

    entries = build_entries(args.entries)
    marks = args.entries * args.jurors * args.criteria
    table = build_scores(entries, args.jurors, args.criteria, args.seed)
    mean_stage = build_stage(args.criteria, Aggregation.MEAN, normalise=False)
    scenarios: list[tuple[str, Callable[[], object]]] = [
        (
            "build ScoreTable from shuffled columns",
            lambda: build_scores(entries, args.jurors, args.criteria, args.seed),
        ),
        ("rank_stage, mean", lambda: rank_stage(mean_stage, entries, table)),
        (
            "rank_stage, median",
            lambda: rank_stage(build_stage(args.criteria, Aggregation.MEDIAN, False), entries, table),
        ),
        (
            "rank_stage, trimmed mean + normalisation",
            lambda: rank_stage(build_stage(args.criteria, Aggregation.TRIMMED_MEAN, True), entries, table),
        ),
        ("fairness_report (two rankings)", lambda: fairness_report(mean_stage, entries, table)),
    ]
    print(
        f"{args.entries} entries × {args.jurors} jurors × {args.criteria} criteria = {marks:,} marks; "
        f"median of {args.runs} runs; target < {TARGET_SECONDS:.1f} s per ranking"
    )
    print(f"{'scenario':<45} {'median s':>9}  verdict")
    for name, run in scenarios:
        seconds = median_seconds(run, args.runs)
        verdict = "ok" if seconds < TARGET_SECONDS else "SLOW"
        print(f"{name:<45} {seconds:>9.3f}  {verdict}")


if __name__ == "__main__":
    main()
