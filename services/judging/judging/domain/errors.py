"""Domain errors of judging: each message says what was wrong and what to do about it."""

from __future__ import annotations

from collections.abc import Sequence


class JudgingError(Exception):
    """Base of every rule violation the judging domain reports."""


class InvalidStageDefinition(JudgingError):
    """A stage (or the contest's list of stages) was declared in a way the rules do not allow."""


class ScoreRejected(JudgingError):
    """A score sheet cannot be accepted; subclasses say why."""


class JurorConflicted(ScoreRejected):
    """The juror has a conflict of interest with the entry and may not score it."""

    def __init__(self, juror_id: str, entry_id: str, reasons: Sequence[str]) -> None:
        self.juror_id = juror_id
        self.entry_id = entry_id
        self.reasons = tuple(reasons)
        super().__init__(
            f"Juror {juror_id} has a conflict of interest with entry {entry_id} "
            f"({'; '.join(self.reasons)}) and cannot score it; the entry is judged by the other jurors."
        )


class JurorNotAssigned(ScoreRejected):
    """The juror was not assigned the entry in this stage."""

    def __init__(self, juror_id: str, entry_id: str, stage_name: str) -> None:
        self.juror_id = juror_id
        self.entry_id = entry_id
        super().__init__(
            f"Juror {juror_id} is not assigned entry {entry_id} in stage '{stage_name}'; "
            "ask the organiser to assign it before scoring."
        )


class EntryNotJudged(ScoreRejected):
    """The entry is withdrawn (or otherwise out of the stage) and takes no scores."""

    def __init__(self, entry_id: str) -> None:
        self.entry_id = entry_id
        super().__init__(f"Entry {entry_id} was withdrawn and takes no scores; nothing to do.")


class InvalidMarks(ScoreRejected):
    """Marks are missing, unknown, or outside the criterion's scale."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class DuplicateScoreSheet(JudgingError):
    """Two score sheets for the same (juror, entry) pair were given to one computation."""

    def __init__(self, juror_id: str, entry_id: str) -> None:
        self.juror_id = juror_id
        self.entry_id = entry_id
        super().__init__(
            f"Juror {juror_id} has more than one score sheet for entry {entry_id}; "
            "pass only the latest revision of each sheet."
        )


class UnresolvedTie(JudgingError):
    """Entries tie on every rule where the tie decides advancement or a place.

    `tied_groups` holds each group of entries the chain could not separate; the chair orders them
    (a `chair_ordering`) and the stage is closed again.
    """

    def __init__(self, tied_groups: Sequence[Sequence[str]], context: Sequence[str]) -> None:
        self.tied_groups = tuple(tuple(group) for group in tied_groups)
        self.context = tuple(context)
        details = "; ".join(
            f"{', '.join(group)} ({where})"
            for group, where in zip(self.tied_groups, self.context, strict=True)
        )
        super().__init__(
            f"Tie the tie-break chain cannot break where it matters: {details}. "
            "The chair must order these entries (chair_ordering) before the stage can close."
        )

    @property
    def entry_ids(self) -> tuple[str, ...]:
        """Every tied entry id, in group order."""
        return tuple(entry_id for group in self.tied_groups for entry_id in group)


class InvalidAward(JudgingError):
    """The organiser's prizes or special mentions do not fit the final's results."""
