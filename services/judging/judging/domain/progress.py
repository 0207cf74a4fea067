"""Scoring progress of a stage: which assigned (juror, entry) pairs still miss a sheet, and who to remind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .assignment import Assignment, Pair
from .entries import EntryId
from .jury import JurorId


@dataclass(frozen=True, slots=True)
class JurorProgress:
    """One juror's progress: how many assigned entries are scored, and which are not."""

    juror_id: JurorId
    assigned: int
    scored: int
    missing: tuple[EntryId, ...]


@dataclass(frozen=True, slots=True)
class EntryProgress:
    """One entry's progress: which of its jurors have not scored it yet."""

    entry_id: EntryId
    assigned: int
    scored: int
    missing_jurors: tuple[JurorId, ...]


@dataclass(frozen=True, slots=True)
class StageProgress:
    """Progress per juror and per entry, both in id order."""

    jurors: tuple[JurorProgress, ...]
    entries: tuple[EntryProgress, ...]

    @property
    def complete(self) -> bool:
        """Every assigned pair has a sheet."""
        return all(not j.missing for j in self.jurors)

    def late_jurors(self, deadline: datetime | None, now: datetime) -> frozenset[JurorId]:
        """Jurors with entries still unscored once the deadline has passed (none without a deadline)."""
        if deadline is None or now < deadline:
            return frozenset()
        return frozenset(j.juror_id for j in self.jurors if j.missing)

    @property
    def jurors_to_remind(self) -> tuple[JurorId, ...]:
        """Jurors with at least one assigned entry still unscored."""
        return tuple(j.juror_id for j in self.jurors if j.missing)


def stage_progress(assignment: Assignment, scored_pairs: Iterable[Pair]) -> StageProgress:
    """Progress of the assignment given the (juror, entry) pairs that have a sheet.

    Sheets for pairs outside the assignment (e.g. a juror unassigned after scoring) are ignored.
    """
    done = set(scored_pairs) & assignment.pairs
    by_juror: dict[JurorId, list[Pair]] = {}
    by_entry: dict[EntryId, list[Pair]] = {}
    for pair in sorted(assignment.pairs):
        by_juror.setdefault(pair[0], []).append(pair)
        by_entry.setdefault(pair[1], []).append(pair)
    jurors = tuple(
        JurorProgress(j, len(ps), sum(p in done for p in ps), tuple(e for _, e in ps if (j, e) not in done))
        for j, ps in sorted(by_juror.items())
    )
    entries = tuple(
        EntryProgress(e, len(ps), sum(p in done for p in ps), tuple(j for j, _ in ps if (j, e) not in done))
        for e, ps in sorted(by_entry.items())
    )
    return StageProgress(jurors, entries)
