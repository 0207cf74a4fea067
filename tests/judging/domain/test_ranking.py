from datetime import UTC, datetime, timedelta

import pytest

from judging.domain import (
    Aggregation,
    Author,
    Criterion,
    DuplicateScoreSheet,
    Entry,
    Normalisation,
    PlacesPerNomination,
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
QUALITY = (Criterion("quality", 1, 0, 10),)


def stage(rule=TopPerNomination(1), kind=StageKind.REVIEW, **options) -> Stage:
    return Stage(
        "review" if kind is StageKind.REVIEW else "final",
        kind,
        options.pop("criteria", QUALITY),
        rule,
        **options,
    )


def entry(entry_id: str, nomination: str = "n1", hour: int = 0, withdrawn: bool = False) -> Entry:
    return Entry(
        entry_id, nomination, (Author("A", "lib", "t"),), START + timedelta(hours=hour), withdrawn=withdrawn
    )


def table(scores: dict[str, list[float]], criterion: str = "quality") -> ScoreTable:
    sheets = [
        ScoreSheet(f"j{i}", e, {criterion: s}) for e, marks in scores.items() for i, s in enumerate(marks)
    ]
    return ScoreTable.from_sheets([criterion], sheets)


def test_weighted_score_is_the_weighted_mean_of_the_marks():
    criteria = (Criterion("relevance", 3, 0, 10), Criterion("novelty", 1, 0, 10))
    sheets = [
        ScoreSheet("j1", "e1", {"relevance": 8, "novelty": 4}),
        ScoreSheet("j2", "e1", {"relevance": 6, "novelty": 10}),
    ]
    ranking = rank_stage(
        stage(criteria=criteria), [entry("e1")], ScoreTable.from_sheets(["relevance", "novelty"], sheets)
    )
    assert ranking.juror_scores_for("e1") == {"j1": 7.0, "j2": 7.0}
    assert ranking.outcome_for("e1").aggregate == 7.0


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [(Aggregation.MEAN, 3.8), (Aggregation.MEDIAN, 3.0), (Aggregation.TRIMMED_MEAN, 3.0)],
)
def test_aggregation_mean_median_and_trimmed_mean(aggregation, expected):
    scores = table({"e1": [10, 3, 0, 4, 2]})  # trimming 20% per side drops the 0 and the 10
    ranking = rank_stage(stage(aggregation=aggregation, trim_fraction=0.2), [entry("e1")], scores)
    assert ranking.outcome_for("e1").aggregate == pytest.approx(expected)


def test_top_n_per_nomination_advances_n_in_each_and_says_why():
    entries = [entry("a1", "n1"), entry("a2", "n1"), entry("b1", "n2"), entry("b2", "n2")]
    scores = table({"a1": [9, 9], "a2": [5, 5], "b1": [4, 4], "b2": [3, 3]})
    ranking = rank_stage(stage(TopPerNomination(1)), entries, scores)
    assert ranking.advanced_entry_ids == ("a1", "b1")
    assert (
        ranking.outcome_for("b1").reason
        == "rank 1 of 2 in nomination n2 (aggregate 4.00); top 1 per nomination advance"
    )
    assert ranking.outcome_for("a2").reason == (
        "rank 2 of 2 in nomination n1 (aggregate 5.00); only the top 1 per nomination advance"
    )


def test_top_n_overall_ignores_nominations():
    entries = [entry("a1", "n1"), entry("a2", "n1"), entry("b1", "n2")]
    ranking = rank_stage(stage(TopOverall(2)), entries, table({"a1": [9], "a2": [8], "b1": [4]}))
    assert ranking.advanced_entry_ids == ("a1", "a2")
    assert ranking.outcome_for("b1").reason.startswith("rank 3 of 3 overall")


def test_score_threshold_advances_every_entry_at_or_above_it_and_ties_never_matter():
    entries = [entry("e1"), entry("e2"), entry("e3")]
    ranking = rank_stage(
        stage(ScoreThreshold(7)), entries, table({"e1": [7, 7], "e2": [7, 7], "e3": [6.5, 7]})
    )
    assert set(ranking.advanced_entry_ids) == {"e1", "e2"}
    assert "below the threshold" in ranking.outcome_for("e3").reason


def test_tie_on_aggregate_decided_by_higher_median():
    entries = [entry("e1"), entry("e2")]
    scores = table({"e1": [7, 7, 10], "e2": [6, 8, 10]})  # both 8.00; medians 7 and 8
    ranking = rank_stage(stage(tie_breaks=(TieBreak.HIGHER_MEDIAN,)), entries, scores)
    winner = ranking.outcome_for("e2")
    assert (winner.rank, winner.advanced, winner.decided_by) == (1, True, "higher_median")
    assert winner.reason.endswith("tied with e1 on aggregate 8.00; decided by higher median")


def test_tie_decided_by_more_top_marks_then_earlier_submission():
    entries = [entry("e1", hour=2), entry("e2", hour=1), entry("e3", hour=0)]
    scores = table({"e1": [10, 6], "e2": [8, 8], "e3": [8, 8]})
    chain = (TieBreak.MORE_TOP_MARKS, TieBreak.EARLIER_SUBMISSION)
    ranking = rank_stage(stage(TopPerNomination(2), tie_breaks=chain), entries, scores)
    assert [o.entry_id for o in ranking.outcomes] == ["e1", "e3", "e2"]
    assert [o.decided_by for o in ranking.outcomes] == [
        "more_top_marks",
        "earlier_submission",
        "earlier_submission",
    ]


def test_unresolved_tie_at_the_cut_off_raises_with_the_tied_ids():
    entries = [entry("e1"), entry("e2"), entry("e3")]
    scores = table({"e1": [9, 9], "e2": [8, 8], "e3": [8, 8]})
    with pytest.raises(UnresolvedTie) as tie:
        rank_stage(stage(TopPerNomination(2)), entries, scores)
    assert tie.value.entry_ids == ("e2", "e3")
    assert "cut-off of the top 2 in nomination n1" in str(tie.value)
    assert "chair must order these entries" in str(tie.value)


def test_the_chairs_ordering_settles_a_tie_the_chain_cannot_break():
    entries = [entry("e1"), entry("e2"), entry("e3")]
    scores = table({"e1": [9, 9], "e2": [8, 8], "e3": [8, 8]})
    ranking = rank_stage(stage(TopPerNomination(2)), entries, scores, chair_ordering=["e3", "e2"])
    assert ranking.advanced_entry_ids == ("e1", "e3")
    assert ranking.outcome_for("e3").decided_by == "chair_decision"


def test_ties_that_do_not_touch_the_cut_off_share_a_rank_and_do_not_raise():
    entries = [entry(f"e{i}") for i in range(1, 6)]
    scores = table({"e1": [9], "e2": [9], "e3": [7], "e4": [5], "e5": [5]})
    ranking = rank_stage(stage(TopPerNomination(3)), entries, scores)
    assert [(o.entry_id, o.rank, o.advanced) for o in ranking.outcomes] == [
        ("e1", 1, True),
        ("e2", 1, True),
        ("e3", 3, True),
        ("e4", 4, False),
        ("e5", 4, False),
    ]
    assert "no tie-break separates them, so they share rank 4" in ranking.outcome_for("e5").reason


def test_a_final_refuses_a_tie_between_places_but_not_below_them():
    entries = [entry(f"e{i}") for i in range(1, 5)]
    scores = table({"e1": [9], "e2": [9], "e3": [5], "e4": [5]})
    with pytest.raises(UnresolvedTie) as tie:
        rank_stage(stage(PlacesPerNomination(2), kind=StageKind.FINAL), entries, scores)
    assert tie.value.tied_groups == (("e1", "e2"),)
    ranking = rank_stage(
        stage(PlacesPerNomination(2), kind=StageKind.FINAL), entries, scores, chair_ordering=["e2"]
    )
    assert [(o.entry_id, o.place) for o in ranking.outcomes] == [
        ("e2", 1),
        ("e1", 2),
        ("e3", None),
        ("e4", None),
    ]
    assert ranking.outcome_for("e2").reason.startswith(
        "place 1 of 4 in nomination n1 (aggregate 9.00); 2 places"
    )


def test_withdrawn_entries_never_rank_even_with_scores():
    entries = [entry("e1", withdrawn=True), entry("e2")]
    ranking = rank_stage(stage(), entries, table({"e1": [10], "e2": [1]}))
    withdrawn = ranking.outcome_for("e1")
    assert (withdrawn.rank, withdrawn.advanced, withdrawn.aggregate) == (None, False, None)
    assert withdrawn.reason == "not ranked: the entry was withdrawn"
    assert ranking.advanced_entry_ids == ("e2",)
    assert ranking.outcome_for("e2").ranked_among == 1


def test_unscored_entries_are_listed_but_cannot_advance():
    ranking = rank_stage(stage(), [entry("e1"), entry("e2")], table({"e2": [3]}))
    assert ranking.outcome_for("e1").decided_by == "no scores"
    assert ranking.advanced_entry_ids == ("e2",)


def test_two_sheets_for_one_juror_and_entry_are_refused():
    sheets = [ScoreSheet("j1", "e1", {"quality": 1}), ScoreSheet("j1", "e1", {"quality": 2})]
    with pytest.raises(DuplicateScoreSheet, match="pass only the latest revision"):
        ScoreTable.from_sheets(["quality"], sheets)


def test_normalisation_puts_guarded_jurors_on_the_pooled_mean_and_spread():
    entries = [entry(f"e{i}") for i in range(4)]
    scores = table({"e0": [2, 9], "e1": [3, 9.5], "e2": [4, 10], "e3": [5]})  # j0 harsh, j1 lenient
    ranking = rank_stage(stage(normalisation=Normalisation(min_scores=3)), entries, scores)
    by_juror: dict[str, list[float]] = {}
    for e in entries:
        for juror_id, score in ranking.juror_scores_for(e.entry_id).items():
            by_juror.setdefault(juror_id, []).append(score)
    raw = [2, 3, 4, 5, 9, 9.5, 10]
    pooled_mean = sum(raw) / len(raw)
    assert ranking.statistics.normalised_jurors == {"j0", "j1"}
    assert sum(by_juror["j0"]) / 4 == pytest.approx(pooled_mean)
    assert sum(by_juror["j1"]) / 3 == pytest.approx(pooled_mean)
