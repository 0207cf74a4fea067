"""Who judges what: every juror × every entry, or k balanced jurors per entry; never a conflicted one."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .entries import Entry, EntryId, entries_in_play
from .jury import ConflictPolicy, Juror, JurorId
from .stages import AssignmentMode, EveryJurorEveryEntry, JurorsPerEntry

Pair = tuple[JurorId, EntryId]


@dataclass(frozen=True, slots=True)
class Shortfall:
    """An entry that could not get the jurors its stage asks for."""

    entry_id: EntryId
    assigned: int
    needed: int

    @property
    def reason(self) -> str:
        """What happened and what to do."""
        return (
            f"entry {self.entry_id} has {self.assigned} of {self.needed} jurors: the others are "
            "conflicted or at their cap; add jurors or raise the cap"
        )


@dataclass(frozen=True, slots=True)
class Assignment:
    """The (juror, entry) pairs of a stage, and the entries that are short of jurors."""

    pairs: frozenset[Pair]
    shortfalls: tuple[Shortfall, ...] = ()
    _by_juror: dict[JurorId, tuple[EntryId, ...]] = field(init=False, repr=False, compare=False)
    _by_entry: dict[EntryId, tuple[JurorId, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_juror: dict[JurorId, list[EntryId]] = {}
        by_entry: dict[EntryId, list[JurorId]] = {}
        for juror_id, entry_id in sorted(self.pairs):
            by_juror.setdefault(juror_id, []).append(entry_id)
            by_entry.setdefault(entry_id, []).append(juror_id)
        object.__setattr__(self, "_by_juror", {j: tuple(es) for j, es in by_juror.items()})
        object.__setattr__(self, "_by_entry", {e: tuple(sorted(js)) for e, js in by_entry.items()})

    def is_assigned(self, juror_id: JurorId, entry_id: EntryId) -> bool:
        """Whether the juror must score the entry in this stage."""
        return (juror_id, entry_id) in self.pairs

    def entries_of(self, juror_id: JurorId) -> tuple[EntryId, ...]:
        """The juror's entries, in id order."""
        return self._by_juror.get(juror_id, ())

    def jurors_of(self, entry_id: EntryId) -> tuple[JurorId, ...]:
        """The entry's jurors, in id order."""
        return self._by_entry.get(entry_id, ())


def assign_jurors(
    mode: AssignmentMode, jurors: Sequence[Juror], entries: Iterable[Entry], conflicts: ConflictPolicy
) -> Assignment:
    """Assign the stage's jurors to its entries in `mode`; withdrawn entries get none."""
    eligible = _eligible_jurors(jurors, entries_in_play(entries), conflicts)
    if isinstance(mode, EveryJurorEveryEntry):
        return Assignment(frozenset((j, e) for e, js in eligible.items() for j in js))
    return _assign_balanced(mode, eligible)


def _eligible_jurors(
    jurors: Sequence[Juror], entries: Sequence[Entry], conflicts: ConflictPolicy
) -> dict[EntryId, tuple[JurorId, ...]]:
    ordered = sorted(jurors, key=lambda j: j.juror_id)
    return {
        entry.entry_id: tuple(j.juror_id for j in ordered if not conflicts.is_conflicted(j, entry))
        for entry in entries
    }


def _seeded_rank(seed: int, item_id: str) -> bytes:
    # A stable pseudo-random order per seed: the same inputs always give the same assignment.
    return hashlib.sha256(f"{seed}:{item_id}".encode()).digest()


def _assign_balanced(mode: JurorsPerEntry, eligible: dict[EntryId, tuple[JurorId, ...]]) -> Assignment:
    # Most constrained entries first, then each takes the least loaded eligible jurors under the cap.
    load = {j: 0 for js in eligible.values() for j in js}
    pairs: set[Pair] = set()
    shortfalls: list[Shortfall] = []
    order = sorted(eligible, key=lambda e: (len(eligible[e]), _seeded_rank(mode.seed, e)))
    for entry_id in order:
        open_jurors = [j for j in eligible[entry_id] if load[j] < mode.cap_per_juror]
        open_jurors.sort(key=lambda j: (load[j], _seeded_rank(mode.seed, j)))
        chosen = open_jurors[: mode.k]
        for juror_id in chosen:
            load[juror_id] += 1
            pairs.add((juror_id, entry_id))
        if len(chosen) < mode.k:
            shortfalls.append(Shortfall(entry_id, len(chosen), mode.k))
    return Assignment(frozenset(pairs), tuple(sorted(shortfalls, key=lambda s: s.entry_id)))
