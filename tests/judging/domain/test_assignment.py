from collections import Counter
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from judging.domain import (
    Author,
    ConflictPolicy,
    ConflictRule,
    ConflictSource,
    DeclaredConflict,
    Entry,
    EveryJurorEveryEntry,
    Juror,
    JurorsPerEntry,
    assign_jurors,
)

SUBMITTED = datetime(2024, 3, 1, tzinfo=UTC)
LIBRARIES = ("lib-a", "lib-b", "lib-c", "lib-d")
TERRITORIES = ("t1", "t2", "t3")


def juror(i: int, library: str = "", territory: str = "") -> Juror:
    return Juror(f"j{i:02d}", f"Juror {i}", library=library, territory_code=territory)


def entry(i: int, library: str = "other", territory: str = "elsewhere", withdrawn: bool = False) -> Entry:
    return Entry(f"e{i:02d}", "n", (Author(f"A{i}", library, territory),), SUBMITTED, withdrawn=withdrawn)


def test_every_juror_gets_every_entry_except_conflicts_and_withdrawn():
    jurors = [juror(1, "lib-a"), juror(2, "lib-b")]
    entries = [entry(1, "lib-a"), entry(2), entry(3, withdrawn=True)]
    assignment = assign_jurors(EveryJurorEveryEntry(), jurors, entries, ConflictPolicy())
    assert assignment.pairs == {("j02", "e01"), ("j01", "e02"), ("j02", "e02")}
    assert assignment.jurors_of("e02") == ("j01", "j02")
    assert assignment.entries_of("j01") == ("e02",)


def test_k_jurors_per_entry_are_balanced_under_the_cap():
    jurors = [juror(i) for i in range(6)]
    entries = [entry(i) for i in range(12)]
    assignment = assign_jurors(JurorsPerEntry(k=3, cap_per_juror=6), jurors, entries, ConflictPolicy())
    assert assignment.shortfalls == ()
    assert all(len(assignment.jurors_of(e.entry_id)) == 3 for e in entries)
    assert set(Counter(j for j, _ in assignment.pairs).values()) == {6}


def test_entries_that_cannot_get_k_jurors_are_reported():
    jurors = [juror(1, "lib-a"), juror(2), juror(3)]
    entries = [entry(1, "lib-a"), entry(2), entry(3)]
    assignment = assign_jurors(JurorsPerEntry(k=3, cap_per_juror=3), jurors, entries, ConflictPolicy())
    assert [(s.entry_id, s.assigned, s.needed) for s in assignment.shortfalls] == [("e01", 2, 3)]
    assert "add jurors or raise the cap" in assignment.shortfalls[0].reason


def test_balanced_assignment_is_the_same_for_the_same_seed_whatever_the_input_order():
    jurors = [juror(i) for i in range(7)]
    entries = [entry(i) for i in range(20)]
    mode = JurorsPerEntry(k=2, cap_per_juror=10, seed=42)
    first = assign_jurors(mode, jurors, entries, ConflictPolicy())
    again = assign_jurors(mode, list(reversed(jurors)), list(reversed(entries)), ConflictPolicy())
    assert first == again


people = st.tuples(st.sampled_from(LIBRARIES), st.sampled_from(TERRITORIES))


@settings(max_examples=150, deadline=None)
@given(
    juror_facts=st.lists(people, min_size=1, max_size=8),
    entry_facts=st.lists(people, min_size=1, max_size=12),
    rules=st.sets(st.sampled_from(ConflictRule)),
    recusals=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 11)), max_size=6),
    k=st.integers(1, 4),
    cap=st.integers(1, 12),
    seed=st.integers(0, 1000),
)
def test_conflicted_juror_is_never_assigned(juror_facts, entry_facts, rules, recusals, k, cap, seed):
    jurors = [juror(i, lib, ter) for i, (lib, ter) in enumerate(juror_facts)]
    entries = [entry(i, lib, ter) for i, (lib, ter) in enumerate(entry_facts)]
    declared = [
        DeclaredConflict(f"j{j:02d}", f"e{e:02d}", ConflictSource.DECLARED_BY_JUROR, "recused")
        for j, e in recusals
    ]
    policy = ConflictPolicy(rules=frozenset(rules), declared=tuple(declared))
    by_id = {j.juror_id: j for j in jurors} | {e.entry_id: e for e in entries}
    for mode in (EveryJurorEveryEntry(), JurorsPerEntry(k=k, cap_per_juror=cap, seed=seed)):
        assignment = assign_jurors(mode, jurors, entries, policy)
        assert not any(policy.is_conflicted(by_id[j], by_id[e]) for j, e in assignment.pairs)
        if isinstance(mode, JurorsPerEntry):
            loads = Counter(j for j, _ in assignment.pairs)
            assert max(loads.values(), default=0) <= cap
            short = {s.entry_id for s in assignment.shortfalls}
            assert all((len(assignment.jurors_of(e.entry_id)) < k) == (e.entry_id in short) for e in entries)
