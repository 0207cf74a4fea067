"""Jurors and conflicts of interest: automatic (same library / territory), declared, or organiser-set."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .entries import Entry, EntryId

JurorId = str
"""A juror's id as text (the service layer passes `str(uuid)`)."""


@dataclass(frozen=True, slots=True)
class Juror:
    """A member of the jury."""

    juror_id: JurorId
    name: str
    position: str = ""
    library: str = ""
    territory_code: str = ""
    email: str | None = None


class ConflictRule(StrEnum):
    """Automatic conflict rules a contest may switch on (the contest decides which apply)."""

    SAME_LIBRARY = "same_library"
    SAME_TERRITORY = "same_territory"


class ConflictSource(StrEnum):
    """Where a conflict comes from."""

    SAME_LIBRARY = "same_library"
    SAME_TERRITORY = "same_territory"
    DECLARED_BY_JUROR = "declared_by_juror"
    SET_BY_ORGANISER = "set_by_organiser"


@dataclass(frozen=True, slots=True)
class DeclaredConflict:
    """A recusal by the juror, or a conflict the organiser set, for one (juror, entry) pair."""

    juror_id: JurorId
    entry_id: EntryId
    source: ConflictSource
    reason: str

    def __post_init__(self) -> None:
        if self.source not in (ConflictSource.DECLARED_BY_JUROR, ConflictSource.SET_BY_ORGANISER):
            raise ValueError("A declared conflict comes from the juror or the organiser, not a rule.")


@dataclass(frozen=True, slots=True)
class Conflict:
    """One reason a juror may not judge an entry."""

    source: ConflictSource
    reason: str


def _same_library(a: str, b: str) -> bool:
    # Libraries are typed by people: compare case- and spacing-insensitively; blank never matches.
    a_key, b_key = " ".join(a.split()).casefold(), " ".join(b.split()).casefold()
    return bool(a_key) and a_key == b_key


@dataclass(frozen=True, slots=True)
class ConflictPolicy:
    """The automatic rules a contest applies plus every declared conflict."""

    rules: frozenset[ConflictRule] = frozenset({ConflictRule.SAME_LIBRARY})
    declared: tuple[DeclaredConflict, ...] = ()
    _declared_index: dict[tuple[JurorId, EntryId], tuple[DeclaredConflict, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index: dict[tuple[JurorId, EntryId], tuple[DeclaredConflict, ...]] = {}
        for conflict in self.declared:
            key = (conflict.juror_id, conflict.entry_id)
            index[key] = (*index.get(key, ()), conflict)
        object.__setattr__(self, "_declared_index", index)

    def with_declared(self, conflicts: Iterable[DeclaredConflict]) -> ConflictPolicy:
        """A copy of the policy with more declared conflicts (a recusal, an organiser's ruling)."""
        return ConflictPolicy(rules=self.rules, declared=(*self.declared, *conflicts))

    def conflicts_between(self, juror: Juror, entry: Entry) -> tuple[Conflict, ...]:
        """Every reason `juror` may not judge `entry`; empty when there is none."""
        found = list(self._automatic_conflicts(juror, entry))
        for declared in self._declared_index.get((juror.juror_id, entry.entry_id), ()):
            found.append(Conflict(declared.source, declared.reason))
        return tuple(found)

    def is_conflicted(self, juror: Juror, entry: Entry) -> bool:
        """Whether `juror` has any conflict with `entry`."""
        return bool(self.conflicts_between(juror, entry))

    def _automatic_conflicts(self, juror: Juror, entry: Entry) -> Iterable[Conflict]:
        for author in entry.authors:
            if ConflictRule.SAME_LIBRARY in self.rules and _same_library(juror.library, author.library):
                yield Conflict(
                    ConflictSource.SAME_LIBRARY, f"same library as author {author.full_name}: {juror.library}"
                )
            if (
                ConflictRule.SAME_TERRITORY in self.rules
                and juror.territory_code.strip()
                and juror.territory_code.strip() == author.territory_code.strip()
            ):
                yield Conflict(
                    ConflictSource.SAME_TERRITORY,
                    f"same territory as author {author.full_name}: {juror.territory_code}",
                )
