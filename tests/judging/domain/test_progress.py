from datetime import UTC, datetime, timedelta

from judging.domain import Assignment, stage_progress

ASSIGNMENT = Assignment(frozenset({("j1", "e1"), ("j1", "e2"), ("j2", "e1"), ("j2", "e2")}))


def test_missing_pairs_are_listed_per_juror_and_per_entry_and_jurors_are_reminded():
    progress = stage_progress(ASSIGNMENT, [("j1", "e1"), ("j1", "e2"), ("j2", "e2"), ("j3", "e1")])
    assert not progress.complete
    assert progress.jurors_to_remind == ("j2",)
    assert [(j.juror_id, j.assigned, j.scored, j.missing) for j in progress.jurors] == [
        ("j1", 2, 2, ()),
        ("j2", 2, 1, ("e1",)),
    ]
    assert [(e.entry_id, e.scored, e.missing_jurors) for e in progress.entries] == [
        ("e1", 1, ("j2",)),
        ("e2", 2, ()),
    ]


def test_progress_is_complete_when_every_assigned_pair_is_scored():
    progress = stage_progress(ASSIGNMENT, ASSIGNMENT.pairs)
    assert progress.complete and progress.jurors_to_remind == ()


def test_a_juror_is_late_only_once_the_deadline_has_passed_with_entries_unscored():
    deadline = datetime(2024, 5, 1, 12, tzinfo=UTC)
    progress = stage_progress(ASSIGNMENT, [("j1", "e1"), ("j1", "e2"), ("j2", "e2")])
    assert progress.late_jurors(deadline, deadline - timedelta(seconds=1)) == frozenset()
    assert progress.late_jurors(deadline, deadline) == {"j2"}
    assert progress.late_jurors(None, deadline + timedelta(days=9)) == frozenset()
