from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judging.domain import (
    Assignment,
    Author,
    ConflictPolicy,
    ConflictRule,
    ConflictSource,
    Criterion,
    DeclaredConflict,
    Entry,
    EntryNotJudged,
    InvalidMarks,
    Juror,
    JurorConflicted,
    JurorNotAssigned,
    ScoreSheet,
    Stage,
    StageKind,
    TopPerNomination,
    validate_score_sheet,
)

STAGE = Stage(
    "review",
    StageKind.REVIEW,
    (Criterion("relevance", 2, 0, 10), Criterion("novelty", 1, 1, 5)),
    TopPerNomination(3),
)
JUROR = Juror("j1", "Juror", library="Library of Belovo", territory_code="belovo")
ENTRY = Entry(
    "e1", "service-guide", (Author("A", "Other library", "kemerovo"),), datetime(2024, 3, 1, tzinfo=UTC)
)
ASSIGNED = Assignment(frozenset({("j1", "e1")}))


def check(marks, *, entry=ENTRY, assignment=ASSIGNED, conflicts=ConflictPolicy()):
    sheet = ScoreSheet(JUROR.juror_id, entry.entry_id, marks)
    validate_score_sheet(
        sheet, stage=STAGE, juror=JUROR, entry=entry, assignment=assignment, conflicts=conflicts
    )


def test_a_complete_sheet_in_range_by_an_assigned_juror_is_accepted():
    check({"relevance": 10, "novelty": 1})


def test_out_of_range_mark_says_which_criterion_and_the_scale():
    with pytest.raises(
        InvalidMarks, match=r"mark 6 for 'novelty' is outside its scale: give a number from 1 to 5"
    ):
        check({"relevance": 10, "novelty": 6})


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "7", True, None])
def test_marks_that_are_not_finite_numbers_are_refused(bad):
    with pytest.raises(InvalidMarks, match="outside its scale"):
        check({"relevance": bad, "novelty": 3})


def test_every_criterion_must_be_marked_and_no_other():
    with pytest.raises(InvalidMarks) as refused:
        check({"relevance": 5, "originality": 3})
    assert refused.value.problems == (
        "missing marks for novelty: give one mark for every criterion",
        "unknown criteria originality: this stage marks only novelty, relevance",
    )


def test_unassigned_juror_is_told_to_ask_the_organiser():
    with pytest.raises(JurorNotAssigned, match="ask the organiser to assign it"):
        check({"relevance": 5, "novelty": 3}, assignment=Assignment(frozenset()))


def test_withdrawn_entry_takes_no_scores():
    withdrawn = Entry("e1", "service-guide", ENTRY.authors, ENTRY.submitted_at, withdrawn=True)
    with pytest.raises(EntryNotJudged):
        check({"relevance": 5, "novelty": 3}, entry=withdrawn)


def test_recusal_after_assignment_rejects_the_jurors_scores():
    recused = ConflictPolicy().with_declared(
        [DeclaredConflict("j1", "e1", ConflictSource.DECLARED_BY_JUROR, "former colleague of the author")]
    )
    with pytest.raises(JurorConflicted, match="former colleague of the author"):
        check({"relevance": 5, "novelty": 3}, conflicts=recused)


@settings(max_examples=100, deadline=None)
@given(
    library=st.sampled_from(["Library of Belovo", "library  of belovo", "Other"]),
    territory=st.sampled_from(["belovo", "kemerovo"]),
    same_territory_rule=st.booleans(),
    relevance=st.integers(0, 10),
    novelty=st.integers(1, 5),
)
def test_conflicted_juror_scores_are_rejected_even_when_assigned(
    library, territory, same_territory_rule, relevance, novelty
):
    rules = {ConflictRule.SAME_LIBRARY} | ({ConflictRule.SAME_TERRITORY} if same_territory_rule else set())
    policy = ConflictPolicy(rules=frozenset(rules))
    entry = Entry("e1", "n", (Author("A", library, territory),), ENTRY.submitted_at)
    if policy.is_conflicted(JUROR, entry):
        with pytest.raises(JurorConflicted):
            check({"relevance": relevance, "novelty": novelty}, entry=entry, conflicts=policy)
    else:
        check({"relevance": relevance, "novelty": novelty}, entry=entry, conflicts=policy)
