"""A stage's score sheets as columns, in one canonical order, so that the arrival order of scores
can never change a result and tens of thousands of entries rank in well under a second."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .entries import EntryId
from .errors import DuplicateScoreSheet, InvalidMarks
from .jury import JurorId
from .scoring import ScoreSheet

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ScoreTable:
    """One row per score sheet, sorted by (entry id, juror id); `marks` has a column per criterion.

    `juror_codes` / `entry_codes` index `juror_ids` / `entry_ids`, which are sorted. Build it with
    `from_sheets` (validated sheets) or `from_columns` (a database query, a benchmark).
    """

    criterion_names: tuple[str, ...]
    juror_ids: tuple[JurorId, ...]
    entry_ids: tuple[EntryId, ...]
    juror_codes: IntArray
    entry_codes: IntArray
    marks: FloatArray

    @classmethod
    def from_sheets(cls, criterion_names: Sequence[str], sheets: Iterable[ScoreSheet]) -> ScoreTable:
        """Columns from score sheets, in any order; two sheets for one (juror, entry) are refused."""
        juror_index: dict[JurorId, int] = {}
        entry_index: dict[EntryId, int] = {}
        juror_codes: list[int] = []
        entry_codes: list[int] = []
        rows: list[list[float]] = []
        for sheet in sheets:
            juror_codes.append(juror_index.setdefault(sheet.juror_id, len(juror_index)))
            entry_codes.append(entry_index.setdefault(sheet.entry_id, len(entry_index)))
            rows.append(_row_of(sheet, criterion_names))
        return cls.from_columns(
            criterion_names,
            list(juror_index),
            list(entry_index),
            np.asarray(juror_codes, dtype=np.int64),
            np.asarray(entry_codes, dtype=np.int64),
            np.asarray(rows, dtype=np.float64).reshape(len(rows), len(criterion_names)),
        )

    @classmethod
    def from_columns(
        cls,
        criterion_names: Sequence[str],
        juror_ids: Sequence[JurorId],
        entry_ids: Sequence[EntryId],
        juror_codes: npt.ArrayLike,
        entry_codes: npt.ArrayLike,
        marks: npt.ArrayLike,
    ) -> ScoreTable:
        """Columns as given (codes index the id lists, in any order), put into canonical order."""
        jurors, juror_codes_sorted = _sorted_codes(juror_ids, np.asarray(juror_codes, dtype=np.int64))
        entries, entry_codes_sorted = _sorted_codes(entry_ids, np.asarray(entry_codes, dtype=np.int64))
        marks_array = np.asarray(marks, dtype=np.float64).reshape(
            len(entry_codes_sorted), len(criterion_names)
        )
        order = np.lexsort((juror_codes_sorted, entry_codes_sorted))
        table = cls(
            tuple(criterion_names),
            jurors,
            entries,
            juror_codes_sorted[order],
            entry_codes_sorted[order],
            marks_array[order],
        )
        table._refuse_duplicates()
        return table

    def __len__(self) -> int:
        return len(self.entry_codes)

    def _refuse_duplicates(self) -> None:
        same = (np.diff(self.entry_codes) == 0) & (np.diff(self.juror_codes) == 0)
        if same.any():
            row = int(np.argmax(same))
            raise DuplicateScoreSheet(
                self.juror_ids[self.juror_codes[row]], self.entry_ids[self.entry_codes[row]]
            )


def _row_of(sheet: ScoreSheet, criterion_names: Sequence[str]) -> list[float]:
    try:
        return [float(sheet.marks[name]) for name in criterion_names]
    except KeyError as missing:
        raise InvalidMarks(
            [f"sheet of juror {sheet.juror_id} for entry {sheet.entry_id} has no mark for {missing}"]
        ) from None


def _sorted_codes(ids: Sequence[str], codes: IntArray) -> tuple[tuple[str, ...], IntArray]:
    # Re-number ids in sorted order so that the result never depends on the order ids were met.
    if len(set(ids)) != len(ids):
        raise ValueError("Id lists given to a ScoreTable must not repeat an id.")
    order = sorted(range(len(ids)), key=ids.__getitem__)
    new_code_of_old = np.empty(len(ids), dtype=np.int64)
    new_code_of_old[np.asarray(order, dtype=np.int64)] = np.arange(len(ids), dtype=np.int64)
    return tuple(ids[i] for i in order), new_code_of_old[codes] if len(ids) else codes
