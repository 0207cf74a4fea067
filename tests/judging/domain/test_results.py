from datetime import UTC, datetime
from decimal import Decimal

import pytest

from judging.domain import (
    Author,
    Awards,
    Criterion,
    Entry,
    InvalidAward,
    PlacesPerNomination,
    Prize,
    PrizeKind,
    ScoreSheet,
    ScoreTable,
    SpecialMention,
    Stage,
    StageKind,
    TopPerNomination,
    declare_results,
    rank_stage,
)

QUALITY = (Criterion("quality", 1, 0, 10),)
ENTRIES = [
    Entry(f"e{i}", "n1", (Author("A", "lib", "t"),), datetime(2024, 3, 1, tzinfo=UTC)) for i in range(3)
]
TABLE = ScoreTable.from_sheets(["quality"], [ScoreSheet("j1", f"e{i}", {"quality": 9 - i}) for i in range(3)])


def final_ranking(places: int = 2):
    return rank_stage(Stage("final", StageKind.FINAL, QUALITY, PlacesPerNomination(places)), ENTRIES, TABLE)


def test_places_get_their_prizes_and_a_nomination_can_override_them():
    gold = Prize(PrizeKind.CASH, "First prize", Decimal("10000"), "RUB")
    silver = Prize(PrizeKind.OTHER, "Certificate")
    special = Prize(PrizeKind.SPONSOR, "Tablet", sponsor="Regional bank")
    awards = Awards({1: (gold,), 2: (silver,)}, prizes_by_nomination_place={("n1", 2): (special,)})
    (result,) = declare_results(final_ranking(), awards)
    assert [(p.entry_id, p.place, p.prizes) for p in result.placements] == [
        ("e0", 1, (gold,)),
        ("e1", 2, (special,)),
    ]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Prize(PrizeKind.CASH, "Cash", None, "RUB"), "positive amount and a currency"),
        (lambda: Prize(PrizeKind.CASH, "Cash", Decimal("5"), ""), "positive amount and a currency"),
        (lambda: Prize(PrizeKind.SPONSOR, "Gift"), "sponsor's name"),
    ],
)
def test_prizes_must_be_complete(build, message):
    with pytest.raises(InvalidAward, match=message):
        build()


def test_special_mention_must_name_an_entry_of_the_final():
    awards = Awards({}, special_mentions=(SpecialMention("e9", "Bold idea"),))
    with pytest.raises(InvalidAward, match="mention only entries of the final"):
        declare_results(final_ranking(), awards)


def test_results_come_only_from_a_final():
    review = rank_stage(Stage("review", StageKind.REVIEW, QUALITY, TopPerNomination(1)), ENTRIES, TABLE)
    with pytest.raises(InvalidAward, match="declare results from a closed final"):
        declare_results(review, Awards({}))


def test_a_nomination_nobody_reached_the_final_in_is_declared_without_a_winner():
    results = declare_results(final_ranking(), Awards({}), nominations=["n0", "n1"])
    assert [(r.nomination_code, len(r.placements)) for r in results] == [("n0", 0), ("n1", 2)]
    assert results[0].special_mentions == ()
