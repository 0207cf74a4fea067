"""The server's clock decides whether the window is open, to the microsecond and in any time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from submissions.domain import FixedClock, SubmissionWindow, submissions_should_close, submit_entry
from submissions.domain.errors import SubmissionWindowClosed, SubmissionWindowNotOpen

from .conftest import CLOSES, OPENS, make_content, make_contest

NOVOKUZNETSK = ZoneInfo("Asia/Novokuznetsk")
BERLIN = ZoneInfo("Europe/Berlin")


def submit_at(contest, when: datetime):  # type: ignore[no-untyped-def]
    return submit_entry(contest, make_content(), existing=[], clock=FixedClock(when)).entry


def test_an_entry_one_microsecond_before_the_deadline_is_accepted(contest) -> None:
    assert submit_at(contest, CLOSES - timedelta(microseconds=1)).revision == 1


def test_an_entry_at_exactly_the_deadline_is_refused_naming_the_deadline(contest) -> None:
    with pytest.raises(SubmissionWindowClosed, match="the deadline was 2024-07-01T00:00:00\\+07:00") as err:
        submit_at(contest, CLOSES)
    assert err.value.status == 409
    assert err.value.extensions()["closes_at"] == "2024-07-01T00:00:00+07:00"


@pytest.mark.parametrize(
    "same_instant",
    [
        datetime(2024, 6, 30, 17, 0, tzinfo=UTC),
        datetime(2024, 6, 30, 19, 0, tzinfo=BERLIN),
        datetime(2024, 7, 1, 0, 0, tzinfo=NOVOKUZNETSK),
    ],
)
def test_the_deadline_is_the_same_instant_whatever_zone_the_clock_reports(contest, same_instant) -> None:
    with pytest.raises(SubmissionWindowClosed):
        submit_at(contest, same_instant)
    assert submit_at(contest, same_instant - timedelta(microseconds=1)).revision == 1


def test_an_entry_before_the_window_opens_is_refused_naming_the_opening(contest) -> None:
    with pytest.raises(
        SubmissionWindowNotOpen, match="submissions open at 2024-03-01T00:00:00\\+07:00"
    ) as err:
        submit_at(contest, OPENS - timedelta(microseconds=1))
    assert err.value.status == 409
    assert submit_at(contest, OPENS).revision == 1


def test_a_deadline_inside_a_daylight_saving_fold_is_compared_as_an_instant() -> None:
    # 02:30 happens twice in Berlin on 2024-10-27. The deadline is the first 02:30 (00:30 UTC); the
    # clock reads the second 02:10 (01:10 UTC), which is after it though its wall time is earlier.
    deadline = datetime(2024, 10, 27, 2, 30, tzinfo=BERLIN, fold=0)
    later_but_earlier_on_the_wall = datetime(2024, 10, 27, 2, 10, tzinfo=BERLIN, fold=1)
    contest = make_contest(window=SubmissionWindow(opens_at=OPENS, closes_at=deadline))
    with pytest.raises(SubmissionWindowClosed):
        submit_at(contest, later_but_earlier_on_the_wall)
    assert submissions_should_close(contest, later_but_earlier_on_the_wall)


def test_submissions_should_close_from_the_deadline_on_and_not_before(contest) -> None:
    assert not submissions_should_close(contest, CLOSES - timedelta(microseconds=1))
    assert submissions_should_close(contest, CLOSES)
    assert submissions_should_close(contest, CLOSES.astimezone(UTC) + timedelta(days=3))
