import pytest

from judging.domain import (
    ContestStages,
    Criterion,
    InvalidStageDefinition,
    JurorsPerEntry,
    PlacesPerNomination,
    Stage,
    StageKind,
    TieBreak,
    TopPerNomination,
)

CRITERIA = (Criterion("relevance", 2, 0, 10), Criterion("novelty", 1, 0, 10))


def review(name: str = "review", **overrides) -> Stage:
    return Stage(
        name, StageKind.REVIEW, overrides.pop("criteria", CRITERIA), TopPerNomination(3), **overrides
    )


def final(name: str = "final") -> Stage:
    return Stage(name, StageKind.FINAL, CRITERIA, PlacesPerNomination(1))


def test_the_seed_contest_declares_a_review_then_a_final():
    stages = ContestStages((review(), final()))
    assert stages.position_of("final") == 2
    assert stages.next_after("review") == final()
    assert stages.next_after("final") is None


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Criterion("x", 0, 0, 10), "positive weight"),
        (lambda: Criterion("x", 1, 10, 10), "lower to a higher mark"),
        (lambda: review(criteria=()), "at least one criterion"),
        (lambda: review(criteria=(CRITERIA[0], CRITERIA[0])), "same name"),
        (lambda: review(tie_breaks=(TieBreak.HIGHER_MEDIAN, TieBreak.HIGHER_MEDIAN)), "tie-break twice"),
        (lambda: review(assignment=JurorsPerEntry(k=0, cap_per_juror=5)), "at least 1 juror"),
        (lambda: review(trim_fraction=0.5), "trim_fraction"),
        (lambda: Stage("r", StageKind.REVIEW, CRITERIA, PlacesPerNomination(1)), "only a final"),
        (lambda: Stage("f", StageKind.FINAL, CRITERIA, TopPerNomination(1)), "a final awards places"),
        (lambda: Stage("r", StageKind.REVIEW, CRITERIA, TopPerNomination(0)), "count of at least 1"),
        (lambda: ContestStages((final(), review())), "Only the last stage"),
        (lambda: ContestStages((review(), review())), "unique"),
    ],
)
def test_invalid_declarations_are_refused_with_a_message_that_says_what_to_fix(build, message):
    with pytest.raises(InvalidStageDefinition, match=message):
        build()
