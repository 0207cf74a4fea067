"""Score sheets and the rules a sheet must pass before it counts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .assignment import Assignment
from .entries import Entry, EntryId
from .errors import EntryNotJudged, InvalidMarks, JurorConflicted, JurorNotAssigned
from .jury import ConflictPolicy, Juror, JurorId
from .stages import Criterion, Stage

Mark = int | float | Decimal


@dataclass(frozen=True, slots=True)
class ScoreSheet:
    """One juror's marks for one entry: criterion name → mark. A revision replaces the whole sheet."""

    juror_id: JurorId
    entry_id: EntryId
    marks: Mapping[str, Mark]


def validate_score_sheet(
    sheet: ScoreSheet,
    *,
    stage: Stage,
    juror: Juror,
    entry: Entry,
    assignment: Assignment,
    conflicts: ConflictPolicy,
) -> None:
    """Raise a `ScoreRejected` subclass if the sheet cannot count; return None if it can.

    Checked in order: the entry is still in play, the juror has no conflict with it (a recusal after
    assignment counts), the juror is assigned it, and every criterion has exactly one mark in range.
    """
    if (sheet.juror_id, sheet.entry_id) != (juror.juror_id, entry.entry_id):
        raise ValueError("validate_score_sheet needs the sheet's own juror and entry.")
    if entry.withdrawn:
        raise EntryNotJudged(entry.entry_id)
    found = conflicts.conflicts_between(juror, entry)
    if found:
        raise JurorConflicted(juror.juror_id, entry.entry_id, [c.reason for c in found])
    if not assignment.is_assigned(juror.juror_id, entry.entry_id):
        raise JurorNotAssigned(juror.juror_id, entry.entry_id, stage.name)
    problems = mark_problems(sheet.marks, stage.criteria)
    if problems:
        raise InvalidMarks(problems)


def mark_problems(marks: Mapping[str, Mark], criteria: tuple[Criterion, ...]) -> list[str]:
    """Human-readable problems with `marks` against `criteria`; empty when they are all fine."""
    names = {c.name for c in criteria}
    problems: list[str] = []
    missing = [c.name for c in criteria if c.name not in marks]
    if missing:
        problems.append(f"missing marks for {', '.join(missing)}: give one mark for every criterion")
    unknown = sorted(set(marks) - names)
    if unknown:
        problems.append(
            f"unknown criteria {', '.join(unknown)}: this stage marks only {', '.join(sorted(names))}"
        )
    for criterion in criteria:
        if criterion.name in marks and not _in_scale(marks[criterion.name], criterion):
            problems.append(
                f"mark {marks[criterion.name]!r} for '{criterion.name}' is outside its scale: "
                f"give a number from {criterion.scale_min:g} to {criterion.scale_max:g}"
            )
    return problems


def _in_scale(mark: Mark, criterion: Criterion) -> bool:
    if isinstance(mark, bool) or not isinstance(mark, int | float | Decimal):
        return False
    value = float(mark)
    return math.isfinite(value) and criterion.scale_min <= value <= criterion.scale_max
