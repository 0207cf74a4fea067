"""The seed contest end to end in the domain: 34 entries in 3 nominations, a review where the top 3
of each nomination advance (9 finalists), and a final naming one winner per nomination."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from judging.domain import (
    Author,
    Awards,
    ConflictPolicy,
    ContestStages,
    Criterion,
    Entry,
    Juror,
    PlacesPerNomination,
    Prize,
    PrizeKind,
    ScoreSheet,
    ScoreTable,
    SpecialMention,
    Stage,
    StageKind,
    TieBreak,
    TopPerNomination,
    assign_jurors,
    declare_results,
    rank_stage,
    stage_progress,
    validate_score_sheet,
)

NOMINATIONS = ("service-guide", "information-collection", "idea-generator")
TERRITORIES = [f"city-{i}" for i in range(10)] + [f"district-{i}" for i in range(9)]
CHAIN = (TieBreak.HIGHER_MEDIAN, TieBreak.MORE_TOP_MARKS, TieBreak.EARLIER_SUBMISSION)
REVIEW = Stage(
    "review",
    StageKind.REVIEW,
    (Criterion("relevance", 3, 0, 10), Criterion("novelty", 2, 0, 10), Criterion("replicability", 1, 0, 10)),
    TopPerNomination(3),
    tie_breaks=CHAIN,
)
FINAL = Stage(
    "final",
    StageKind.FINAL,
    (Criterion("defence", 1, 0, 10), Criterion("impact", 1, 0, 10)),
    PlacesPerNomination(1),
    tie_breaks=CHAIN,
)


def seed_entries() -> list[Entry]:
    start = datetime(2024, 3, 1, 9, tzinfo=UTC)
    return [
        Entry(
            f"entry-{i:02d}",
            NOMINATIONS[i % 3],
            (Author(f"Author {i}", f"Library {i % 17}", TERRITORIES[i % 19]),),
            start + timedelta(minutes=37 * i),
            title=f"Practice {i}",
        )
        for i in range(34)
    ]


JURORS = [Juror(f"juror-{i}", f"Juror {i}", "expert", f"Library {i * 3}", TERRITORIES[i]) for i in range(7)]


def score_stage(stage: Stage, entries: list[Entry], seed: int) -> tuple[ScoreTable, ConflictPolicy]:
    policy = ConflictPolicy()
    assignment = assign_jurors(stage.assignment, JURORS, entries, policy)
    rng = random.Random(seed)
    jurors, by_id = {j.juror_id: j for j in JURORS}, {e.entry_id: e for e in entries}
    sheets = []
    for juror_id, entry_id in sorted(assignment.pairs):
        sheet = ScoreSheet(juror_id, entry_id, {c.name: rng.randint(3, 10) for c in stage.criteria})
        validate_score_sheet(
            sheet,
            stage=stage,
            juror=jurors[juror_id],
            entry=by_id[entry_id],
            assignment=assignment,
            conflicts=policy,
        )
        sheets.append(sheet)
    assert stage_progress(assignment, [(s.juror_id, s.entry_id) for s in sheets]).complete
    return ScoreTable.from_sheets(stage.criterion_names, sheets), policy


@pytest.fixture(scope="module")
def review_ranking():
    entries = seed_entries()
    table, _ = score_stage(REVIEW, entries, seed=1)
    return entries, rank_stage(REVIEW, entries, table)


def test_seed_review_advances_exactly_nine_finalists_three_per_nomination(review_ranking):
    entries, ranking = review_ranking
    assert ContestStages((REVIEW, FINAL)).next_after("review") == FINAL
    assert len(entries) == 34 and len({e.nomination_code for e in entries}) == 3
    finalists = [ranking.outcome_for(e) for e in ranking.advanced_entry_ids]
    assert len(finalists) == 9
    assert sorted(o.nomination_code for o in finalists) == sorted(NOMINATIONS * 3)
    assert all(o.rank is not None and o.rank <= 3 for o in finalists)


def test_seed_review_gives_every_entry_a_reason(review_ranking):
    _, ranking = review_ranking
    assert len(ranking.outcomes) == 34
    assert all(o.reason and o.juror_count >= 5 for o in ranking.outcomes)
    second = next(o for o in ranking.outcomes if o.rank == 2 and o.nomination_code == "service-guide")
    assert second.reason.startswith("rank 2 of 12 in nomination service-guide (aggregate ")
    assert "top 3 per nomination advance" in second.reason


def test_seed_final_names_one_winner_per_nomination_with_prizes(review_ranking):
    entries, review = review_ranking
    finalists = [e for e in entries if e.entry_id in review.advanced_entry_ids]
    table, _ = score_stage(FINAL, finalists, seed=2)
    final = rank_stage(FINAL, finalists, table)
    winners = [o for o in final.outcomes if o.place == 1]
    assert len(winners) == 3 and {o.nomination_code for o in winners} == set(NOMINATIONS)
    assert all(o.reason.startswith("place 1 of 3 in nomination") for o in winners)
    assert all(o.reason for o in final.outcomes) and len(final.outcomes) == 9
    runner_up = next(o for o in final.outcomes if o.place is None)
    awards = Awards(
        prizes_by_place={
            1: (
                Prize(PrizeKind.CASH, "Partnership prize", Decimal("10000"), "RUB"),
                Prize(PrizeKind.SPONSOR, "Book set", sponsor="Regional publisher"),
            )
        },
        special_mentions=(SpecialMention(runner_up.entry_id, "For work with young readers"),),
    )
    results = declare_results(final, awards)
    assert [r.nomination_code for r in results] == sorted(NOMINATIONS)
    assert all(len(r.placements) == 1 and len(r.placements[0].prizes) == 2 for r in results)
    assert sum(len(r.special_mentions) for r in results) == 1
