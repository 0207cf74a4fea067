"""Closing submissions: by the deadline or by an organiser, once, with the final list for judging."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from submissions.domain import (
    ContestStatus,
    FixedClock,
    close_submissions,
    edit_entry,
    submit_entry,
    withdraw_entry,
)
from submissions.domain.errors import (
    ContestStateConflict,
    DeadlineNotReached,
    SubmissionsClosedByOrganisers,
    SubmissionWindowClosed,
)
from submissions.domain.integration_events import submissions_closed

from .conftest import CLOSES, make_content


@pytest.fixture
def three_entries(contest, clock):  # type: ignore[no-untyped-def]
    entries = []
    for title in ("Первая", "Вторая", "Третья"):
        clock.advance(timedelta(minutes=5))
        content = make_content(
            title=title, nomination_code="idea-generator" if title == "Третья" else "service-guide"
        )
        entries.append(submit_entry(contest, content, existing=entries, clock=clock).entry)
    first, second, third = entries
    second = edit_entry(
        contest, second, make_content(title="Вторая, исправленная"), existing=entries, clock=clock
    )
    third = withdraw_entry(contest, third, "отзываем", clock=clock)
    return [third, second, first]


def test_the_final_list_holds_the_entries_not_withdrawn_at_their_latest_revision(
    contest, three_entries
) -> None:
    closed, closure = close_submissions(contest, three_entries, clock=FixedClock(CLOSES))
    _, second, first = three_entries
    assert [(e.entry_id, e.revision) for e in closure.entries] == [(first.id, 1), (second.id, 2)]
    assert closure.closed_by == "deadline"
    assert closed.status is ContestStatus.SUBMISSIONS_CLOSED
    assert closed.submissions_closed_at == closure.closed_at


def test_the_closure_becomes_a_submissions_closed_event(contest, three_entries) -> None:
    _, closure = close_submissions(contest, three_entries, clock=FixedClock(CLOSES))
    event = submissions_closed(closure)
    assert event.contest_id == contest.id
    assert [ref.revision for ref in event.entries] == [1, 2]


def test_closing_by_the_deadline_before_it_is_refused(contest, clock) -> None:
    with pytest.raises(DeadlineNotReached) as err:
        close_submissions(contest, [], clock=FixedClock(CLOSES - timedelta(microseconds=1)))
    assert err.value.status == 409


def test_an_organiser_may_close_early_and_then_no_entry_is_accepted(contest, clock) -> None:
    closed, closure = close_submissions(contest, [], clock=clock, closed_by="organiser")
    assert closure.closed_by == "organiser"
    with pytest.raises(SubmissionsClosedByOrganisers, match=re.escape(clock.now().isoformat())) as refused:
        submit_entry(closed, make_content(), existing=[], clock=clock)
    assert "closed by the organisers" in refused.value.message
    assert refused.value.problem_type != SubmissionWindowClosed.problem_type


def test_submissions_close_only_once(contest) -> None:
    closed, _ = close_submissions(contest, [], clock=FixedClock(CLOSES))
    with pytest.raises(ContestStateConflict, match="cannot close submissions"):
        close_submissions(closed, [], clock=FixedClock(CLOSES))
