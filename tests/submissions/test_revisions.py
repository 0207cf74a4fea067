"""Editing and withdrawing an entry: each is a new revision, allowed only before the deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from submissions.domain import EntryStatus, FixedClock, edit_entry, submit_entry, withdraw_entry
from submissions.domain.errors import (
    DuplicateEntry,
    EntryAlreadyWithdrawn,
    SubmissionWindowClosed,
    UnknownNomination,
    WithdrawalReasonRequired,
)

from .conftest import CLOSES, make_content


@pytest.fixture
def entry(contest, clock):  # type: ignore[no-untyped-def]
    return submit_entry(contest, make_content(), existing=[], clock=clock).entry


def test_each_edit_increments_the_revision_and_keeps_the_submission_time(contest, clock, entry) -> None:
    clock.advance(timedelta(hours=1))
    once = edit_entry(contest, entry, make_content(annotation="Уточнённая"), existing=[entry], clock=clock)
    clock.advance(timedelta(hours=1))
    twice = edit_entry(contest, once, make_content(title="Рюкзачок знаний 2.0"), existing=[once], clock=clock)
    assert (once.revision, twice.revision) == (2, 3)
    assert twice.submitted_at == entry.submitted_at
    assert twice.updated_at == clock.now()
    assert twice.content.title == "Рюкзачок знаний 2.0"


def test_an_edit_is_checked_against_the_contest_like_a_submission(contest, clock, entry) -> None:
    with pytest.raises(UnknownNomination):
        edit_entry(contest, entry, make_content(nomination_code="nope"), existing=[entry], clock=clock)


def test_an_edit_may_not_turn_the_entry_into_a_duplicate_of_another(contest, clock, entry) -> None:
    other = submit_entry(contest, make_content(title="Другая"), existing=[entry], clock=clock).entry
    with pytest.raises(DuplicateEntry) as err:
        edit_entry(contest, other, make_content(), existing=[entry, other], clock=clock)
    assert err.value.existing_entry_id == entry.id


def test_withdrawing_records_the_reason_as_the_next_revision(contest, clock, entry) -> None:
    withdrawn = withdraw_entry(contest, entry, "  Подали по ошибке  ", clock=clock)
    assert withdrawn.status is EntryStatus.WITHDRAWN
    assert withdrawn.revision == 2
    assert withdrawn.withdrawal_reason == "Подали по ошибке"
    assert withdrawn.withdrawn_at == clock.now()


def test_a_withdrawal_needs_a_reason(contest, clock, entry) -> None:
    with pytest.raises(WithdrawalReasonRequired) as err:
        withdraw_entry(contest, entry, "   ", clock=clock)
    assert err.value.status == 422


def test_a_withdrawn_entry_can_be_neither_edited_nor_withdrawn_again(contest, clock, entry) -> None:
    withdrawn = withdraw_entry(contest, entry, "передумали", clock=clock)
    with pytest.raises(EntryAlreadyWithdrawn) as err:
        edit_entry(contest, withdrawn, make_content(), existing=[withdrawn], clock=clock)
    assert err.value.status == 409
    with pytest.raises(EntryAlreadyWithdrawn):
        withdraw_entry(contest, withdrawn, "ещё раз", clock=clock)


def test_after_the_deadline_an_entry_can_be_neither_edited_nor_withdrawn(contest, entry) -> None:
    at_deadline = FixedClock(CLOSES)
    with pytest.raises(SubmissionWindowClosed, match="2024-07-01T00:00:00\\+07:00"):
        edit_entry(contest, entry, make_content(annotation="поздно"), existing=[entry], clock=at_deadline)
    with pytest.raises(SubmissionWindowClosed):
        withdraw_entry(contest, entry, "поздно", clock=at_deadline)
