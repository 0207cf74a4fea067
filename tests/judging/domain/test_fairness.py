from datetime import UTC, datetime, timedelta

import pytest

from judging.domain import (
    Author,
    Criterion,
    Entry,
    Normalisation,
    ScoreSheet,
    ScoreTable,
    Stage,
    StageKind,
    TopPerNomination,
    fairness_report,
)

START = datetime(2024, 3, 1, tzinfo=UTC)
STAGE = Stage("review", StageKind.REVIEW, (Criterion("quality", 1, 0, 10),), TopPerNomination(1))


def entries(count: int) -> list[Entry]:
    return [Entry(f"e{i}", "n", (Author("A", "lib", "t"),), START + timedelta(hours=i)) for i in range(count)]


def table(rows: list[tuple[str, str, float]]) -> ScoreTable:
    return ScoreTable.from_sheets(["quality"], [ScoreSheet(j, e, {"quality": s}) for j, e, s in rows])


def test_a_harsh_juror_has_a_negative_mean_deviation_from_the_others():
    rows = [
        ("fair1", "e0", 8),
        ("fair2", "e0", 8),
        ("harsh", "e0", 5),
        ("fair1", "e1", 6),
        ("fair2", "e1", 6),
    ]
    rows.append(("harsh", "e1", 3))
    report = fairness_report(STAGE, entries(2), table(rows))
    harshness = {j.juror_id: j.mean_deviation for j in report.jurors}
    assert harshness["harsh"] == pytest.approx(-3.0)
    assert harshness["fair1"] == pytest.approx(1.5)
    disagreement = {e.entry_id: e.std_dev for e in report.entries}
    assert disagreement["e0"] == pytest.approx(2**0.5)


def test_a_juror_alone_on_every_entry_has_no_harshness_measure():
    report = fairness_report(STAGE, entries(1), table([("solo", "e0", 7)]))
    assert [(j.juror_id, j.mean_deviation, j.shared_entries) for j in report.jurors] == [("solo", None, 0)]


def test_report_says_when_normalisation_would_change_the_winner():
    # The lenient juror marks everything near the top, so raw scores let the strict juror pick e0;
    # normalised, the lenient juror's clear preference for e1 weighs as much and e1 wins.
    rows = [("strict", f"e{i}", s) for i, s in enumerate([9, 5, 4, 3])]
    rows += [("lenient", f"e{i}", s) for i, s in enumerate([9.5, 10, 9.6, 9.7])]
    report = fairness_report(STAGE, entries(4), table(rows), normalisation=Normalisation(min_scores=3))
    effect = report.normalisation
    assert effect.changes_outcome is True
    assert (effect.only_with_normalisation, effect.only_without_normalisation) == (("e1",), ("e0",))
    assert "changes who advances" in effect.note


def test_report_says_when_normalisation_changes_nothing():
    rows = [(j, f"e{i}", s + bias) for j, bias in (("a", 0), ("b", 1)) for i, s in enumerate([9, 5, 4])]
    effect = fairness_report(
        STAGE, entries(3), table(rows), normalisation=Normalisation(min_scores=2)
    ).normalisation
    assert (effect.changes_outcome, effect.only_with_normalisation) == (False, ())
