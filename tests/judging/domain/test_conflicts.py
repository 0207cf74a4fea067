from datetime import UTC, datetime

import pytest

from judging.domain import (
    Author,
    ConflictPolicy,
    ConflictRule,
    ConflictSource,
    DeclaredConflict,
    Entry,
    Juror,
)

SUBMITTED = datetime(2024, 3, 1, tzinfo=UTC)


def entry(*authors: Author, entry_id: str = "e1") -> Entry:
    return Entry(entry_id, "service-guide", tuple(authors), SUBMITTED)


JUROR = Juror("j1", "Irina Petrova", "lead librarian", "Central Library of Belovo", "belovo")


def test_same_library_is_a_conflict_regardless_of_case_and_spacing():
    policy = ConflictPolicy(rules=frozenset({ConflictRule.SAME_LIBRARY}))
    conflicts = policy.conflicts_between(JUROR, entry(Author("A", "central  library of BELOVO", "kemerovo")))
    assert [c.source for c in conflicts] == [ConflictSource.SAME_LIBRARY]
    assert "same library as author A" in conflicts[0].reason


def test_same_territory_counts_only_when_the_contest_switches_it_on():
    author = Author("A", "Another library", "belovo")
    assert not ConflictPolicy(rules=frozenset({ConflictRule.SAME_LIBRARY})).is_conflicted(
        JUROR, entry(author)
    )
    both = ConflictPolicy(rules=frozenset(ConflictRule))
    assert [c.source for c in both.conflicts_between(JUROR, entry(author))] == [ConflictSource.SAME_TERRITORY]


def test_any_author_of_a_joint_entry_can_cause_the_conflict():
    joint = entry(Author("A", "Other", "x"), Author("B", "Central Library of Belovo", "y"))
    assert ConflictPolicy().is_conflicted(JUROR, joint)


def test_blank_library_never_matches():
    juror = Juror("j2", "No Library")
    assert not ConflictPolicy().is_conflicted(juror, entry(Author("A", "", "x")))


def test_recusal_and_organiser_conflict_are_reported_with_their_reasons():
    policy = ConflictPolicy(rules=frozenset()).with_declared(
        [
            DeclaredConflict("j1", "e1", ConflictSource.DECLARED_BY_JUROR, "I mentored the author"),
            DeclaredConflict("j1", "e1", ConflictSource.SET_BY_ORGANISER, "relative of the author"),
        ]
    )
    conflicts = policy.conflicts_between(JUROR, entry(Author("A", "Other", "x")))
    assert [(c.source, c.reason) for c in conflicts] == [
        (ConflictSource.DECLARED_BY_JUROR, "I mentored the author"),
        (ConflictSource.SET_BY_ORGANISER, "relative of the author"),
    ]
    assert not policy.is_conflicted(JUROR, entry(Author("A", "Other", "x"), entry_id="e2"))


def test_a_declared_conflict_cannot_claim_to_come_from_an_automatic_rule():
    with pytest.raises(ValueError, match="juror or the organiser"):
        DeclaredConflict("j1", "e1", ConflictSource.SAME_LIBRARY, "")
