"""Properties of ranking that must hold for any scores: arrival order never matters, the tie-break
chain orders deterministically, and normalisation leaves jurors with too few scores alone."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judging.domain import (
    Aggregation,
    Author,
    Criterion,
    Entry,
    Normalisation,
    ScoreSheet,
    ScoreTable,
    ScoreThreshold,
    Stage,
    StageKind,
    TieBreak,
    TopOverall,
    TopPerNomination,
    UnresolvedTie,
    rank_stage,
)

START = datetime(2024, 3, 1, tzinfo=UTC)
CRITERIA = (Criterion("relevance", 2, 0, 4), Criterion("novelty", 1, 1, 3))
NAMES = [c.name for c in CRITERIA]


@st.composite
def contests(draw):
    """Small contests with coarse scales, so that ties are common."""
    entry_count = draw(st.integers(2, 10))
    entries = [
        Entry(
            f"e{i:02d}",
            draw(st.sampled_from(["n1", "n2"])),
            (Author("A", "lib", "t"),),
            START + timedelta(hours=draw(st.integers(0, 3))),
            withdrawn=i == 0 and draw(st.booleans()),
        )
        for i in range(entry_count)
    ]
    jurors = [f"j{i}" for i in range(draw(st.integers(1, 5)))]
    pairs = draw(st.sets(st.sampled_from([(j, e.entry_id) for j in jurors for e in entries]), min_size=1))
    sheets = [
        ScoreSheet(j, e, {"relevance": draw(st.integers(0, 4)), "novelty": draw(st.integers(1, 3))})
        for j, e in sorted(pairs)
    ]
    stage = Stage(
        "review",
        StageKind.REVIEW,
        CRITERIA,
        draw(st.sampled_from([TopPerNomination(1), TopPerNomination(2), TopOverall(3), ScoreThreshold(2.5)])),
        aggregation=draw(st.sampled_from(Aggregation)),
        trim_fraction=0.25,
        normalisation=draw(st.sampled_from([None, Normalisation(2), Normalisation(3)])),
        tie_breaks=tuple(draw(st.permutations(list(TieBreak)))[: draw(st.integers(0, 4))]),
    )
    chair = draw(st.permutations([e.entry_id for e in entries]))[: draw(st.integers(0, entry_count))]
    return stage, entries, sheets, chair


def outcome_or_tie(stage, entries, sheets, chair):
    try:
        return rank_stage(stage, entries, ScoreTable.from_sheets(NAMES, sheets), chair).outcomes
    except UnresolvedTie as tie:
        return ("unresolved", tie.tied_groups)


@settings(max_examples=150, deadline=None)
@given(contest=contests(), data=st.data())
def test_ranking_is_identical_for_any_arrival_order_of_scores(contest, data):
    stage, entries, sheets, chair = contest
    shuffled_sheets = data.draw(st.permutations(sheets))
    shuffled_entries = data.draw(st.permutations(entries))
    assert outcome_or_tie(stage, entries, sheets, chair) == outcome_or_tie(
        stage, shuffled_entries, shuffled_sheets, chair
    )


def chain_key(outcome, stage, submitted, chair):
    keys = {
        TieBreak.HIGHER_MEDIAN: -round(outcome.median, 9),
        TieBreak.MORE_TOP_MARKS: -outcome.top_marks,
        TieBreak.EARLIER_SUBMISSION: submitted[outcome.entry_id],
        TieBreak.CHAIR_DECISION: chair.index(outcome.entry_id) if outcome.entry_id in chair else len(chair),
    }
    chain = [
        *stage.tie_breaks,
        *([] if TieBreak.CHAIR_DECISION in stage.tie_breaks else [TieBreak.CHAIR_DECISION]),
    ]
    return (-round(outcome.aggregate, 9), *(keys[rule] for rule in chain))


@settings(max_examples=150, deadline=None)
@given(contest=contests())
def test_tie_break_chain_orders_every_group_deterministically(contest):
    stage, entries, sheets, chair = contest
    first = outcome_or_tie(stage, entries, sheets, chair)
    assert first == outcome_or_tie(stage, list(reversed(entries)), list(reversed(sheets)), chair)
    if first[0] == "unresolved":
        return
    submitted = {e.entry_id: e.submitted_at for e in entries}
    ranked = [o for o in first if o.rank is not None]
    for better, worse in pairwise(ranked):
        if better.nomination_code != worse.nomination_code and not isinstance(
            stage.advancement, TopOverall | ScoreThreshold
        ):
            continue
        better_key, worse_key = (
            chain_key(better, stage, submitted, chair),
            chain_key(worse, stage, submitted, chair),
        )
        assert better_key <= worse_key
        assert (better.rank == worse.rank) == (better_key == worse_key)


@settings(max_examples=150, deadline=None)
@given(contest=contests(), min_scores=st.integers(2, 4))
def test_jurors_with_fewer_scores_than_the_guard_are_not_normalised(contest, min_scores):
    stage, entries, sheets, chair = contest
    in_play = {e.entry_id for e in entries if not e.withdrawn}
    counted = Counter(s.juror_id for s in sheets if s.entry_id in in_play)
    table = ScoreTable.from_sheets(NAMES, sheets)
    try:
        ranking = rank_stage(stage, entries, table, chair, normalisation=Normalisation(min_scores))
    except UnresolvedTie:
        return
    assert ranking.statistics.normalised_jurors == {j for j, n in counted.items() if n >= min_scores}
    for sheet in sheets:
        if sheet.entry_id in in_play and counted[sheet.juror_id] < min_scores:
            raw = (2 * sheet.marks["relevance"] + sheet.marks["novelty"]) / 3
            assert ranking.juror_scores_for(sheet.entry_id)[sheet.juror_id] == pytest.approx(raw, abs=1e-12)
