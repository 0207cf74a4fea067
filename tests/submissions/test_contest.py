"""The contest as organisers define it, and its life: draft → published → submissions closed → results."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from submissions.domain import (
    ContestStatus,
    FixedClock,
    Nomination,
    SubmissionWindow,
    announce_results,
    close_submissions,
    publish_contest,
)
from submissions.domain.errors import ContestStateConflict, DeadlineInThePast, NaiveDatetimeError

from .conftest import CLOSES, DURING, OPENS, make_contest


def test_a_window_with_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        SubmissionWindow(opens_at=datetime(2024, 3, 1), closes_at=CLOSES)


def test_a_window_that_closes_before_it_opens_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"closes .* before it opens"):
        SubmissionWindow(opens_at=CLOSES, closes_at=OPENS)


def test_nomination_codes_must_be_unique() -> None:
    twice = (Nomination(code="service-guide", title="A"), Nomination(code="service-guide", title="B"))
    with pytest.raises(ValidationError, match="repeated: service-guide"):
        make_contest(nominations=twice)


def test_codes_are_latin_words_joined_by_hyphens() -> None:
    with pytest.raises(ValidationError):
        Nomination(code="Сервис гид", title="Сервис гид")


def test_a_draft_is_published_once() -> None:
    draft = make_contest(status=ContestStatus.DRAFT, published_at=None)
    clock = FixedClock(OPENS - timedelta(days=1))
    published = publish_contest(draft, clock=clock)
    assert published.status is ContestStatus.PUBLISHED
    assert published.published_at == clock.now()
    with pytest.raises(
        ContestStateConflict, match="cannot publish the contest: the contest is published"
    ) as err:
        publish_contest(published, clock=clock)
    assert err.value.status == 409


def test_a_contest_whose_deadline_has_passed_cannot_be_published() -> None:
    draft = make_contest(status=ContestStatus.DRAFT, published_at=None)
    with pytest.raises(DeadlineInThePast, match="move the closing time"):
        publish_contest(draft, clock=FixedClock(CLOSES))


def test_results_come_only_after_submissions_closed() -> None:
    contest = make_contest()
    with pytest.raises(ContestStateConflict):
        announce_results(contest)
    closed, _ = close_submissions(contest, [], clock=FixedClock(CLOSES))
    assert announce_results(closed).status is ContestStatus.RESULTS


def test_a_naive_clock_is_refused_with_a_hint_to_add_an_offset() -> None:
    with pytest.raises(NaiveDatetimeError, match=r"has no time zone; .*\+07:00") as err:
        FixedClock(DURING.replace(tzinfo=None))
    assert err.value.status == 422
