"""What set an entry apart from its aggregate-tied neighbours is a typed value: its aggregate alone,
the deepest tie-break the chain needed, or an unbroken tie (never a bare string or None)."""

from datetime import UTC, datetime, timedelta

from judging.domain import TieBreak
from judging.domain.tie_breaks import Candidate, Separation, deciding_rule, order_group

START = datetime(2024, 3, 1, tzinfo=UTC)
CHAIN = (TieBreak.HIGHER_MEDIAN, TieBreak.EARLIER_SUBMISSION)


def candidate(entry_id: str, aggregate: float, median: float = 5.0, hour: int = 0) -> Candidate:
    return Candidate(
        entry_id=entry_id,
        position=0,
        aggregate=aggregate,
        median=median,
        top_marks=0,
        submitted_at=START + timedelta(hours=hour),
    )


def test_an_entry_alone_on_its_aggregate_is_decided_by_the_aggregate() -> None:
    group = order_group([candidate("a", 9.0), candidate("b", 7.0)], CHAIN, {})
    assert [deciding_rule(group, i, CHAIN) for i in range(2)] == [Separation.AGGREGATE] * 2


def test_a_tie_on_the_aggregate_is_decided_by_the_deepest_rule_needed() -> None:
    by_median = order_group([candidate("a", 8.0, median=9.0), candidate("b", 8.0, median=7.0)], CHAIN, {})
    assert deciding_rule(by_median, 0, CHAIN) is TieBreak.HIGHER_MEDIAN
    by_time = order_group([candidate("a", 8.0, hour=1), candidate("b", 8.0, hour=2)], CHAIN, {})
    assert deciding_rule(by_time, 1, CHAIN) is TieBreak.EARLIER_SUBMISSION


def test_a_tie_no_rule_breaks_is_an_unbroken_tie_named_as_results_record_it() -> None:
    group = order_group([candidate("a", 8.0), candidate("b", 8.0)], CHAIN, {})
    assert deciding_rule(group, 0, CHAIN) is Separation.UNBROKEN_TIE
    assert Separation.UNBROKEN_TIE.value == "unbroken tie" and Separation.AGGREGATE.value == "aggregate"
