"""Who took part: entries per nomination, and how many territories of each kind the authors came from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .contest import Contest, TerritoryKind
from .entry import Entry

_KIND_WORDS_RU = {
    TerritoryKind.CITY_DISTRICT: ("городского округа", "городских округов", "городских округов"),
    TerritoryKind.MUNICIPAL_DISTRICT: (
        "муниципального района",
        "муниципальных районов",
        "муниципальных районов",
    ),
}


@dataclass(frozen=True, slots=True)
class ContestStatistics:
    """Counts over the entries that were not withdrawn."""

    entry_count: int
    entries_by_nomination: dict[str, int]
    entries_by_territory: dict[str, int]
    territories_by_kind: dict[TerritoryKind, int]

    def summary_ru(self) -> str:
        """E.g. "34 работы из 10 городских округов и 9 муниципальных районов"."""
        places = " и ".join(
            f"{n} {_plural_ru(n, _KIND_WORDS_RU[kind])}" for kind, n in self.territories_by_kind.items() if n
        )
        entries = f"{self.entry_count} {_plural_ru(self.entry_count, ('работа', 'работы', 'работ'))}"
        return f"{entries} из {places}" if places else entries


def contest_statistics(contest: Contest, entries: Iterable[Entry]) -> ContestStatistics:
    """Entries per nomination (every nomination listed, even with 0), entries per territory (an entry
    counts once per territory of its authors), and distinct territories of the authors per kind."""
    live = [e for e in entries if e.contest_id == contest.id and not e.is_withdrawn]
    by_nomination = Counter(e.content.nomination_code for e in live)
    by_territory: Counter[str] = Counter()
    for entry in live:
        by_territory.update({a.territory_code for a in entry.content.authors})
    kinds = Counter(t.kind for t in contest.territories if t.code in by_territory)
    return ContestStatistics(
        entry_count=len(live),
        entries_by_nomination={n.code: by_nomination[n.code] for n in contest.nominations},
        entries_by_territory={
            t.code: by_territory[t.code] for t in contest.territories if by_territory[t.code]
        },
        territories_by_kind={kind: kinds[kind] for kind in TerritoryKind},
    )


@dataclass(frozen=True, slots=True)
class Tally:
    """Entries received (every one ever submitted), withdrawn since, and active (still in)."""

    received: int = 0
    withdrawn: int = 0

    @property
    def active(self) -> int:
        return self.received - self.withdrawn

    def counting(self, withdrawn: bool) -> Tally:
        return Tally(self.received + 1, self.withdrawn + int(withdrawn))


@dataclass(frozen=True, slots=True)
class EntryCounts:
    """Received / withdrawn / active entries by nomination, by territory and by territory kind, every
    one of the contest's listed (with zeros). An entry counts once in each territory and each kind its
    authors come from; an entry in a nomination or territory the contest no longer lists is kept under
    its code."""

    by_nomination: dict[str, Tally]
    by_territory: dict[str, Tally]
    by_territory_kind: dict[TerritoryKind, Tally]


def entry_counts(contest: Contest, entries: Iterable[Entry]) -> EntryCounts:
    by_nomination = {n.code: Tally() for n in contest.nominations}
    by_territory = {t.code: Tally() for t in contest.territories}
    by_kind = {kind: Tally() for kind in TerritoryKind}
    for entry in entries:
        if entry.contest_id != contest.id:
            continue
        out = entry.is_withdrawn
        code = entry.content.nomination_code
        by_nomination[code] = by_nomination.get(code, Tally()).counting(out)
        territories = {a.territory_code for a in entry.content.authors}
        for territory in sorted(territories):
            by_territory[territory] = by_territory.get(territory, Tally()).counting(out)
        kinds = {t.kind for code in territories if (t := contest.territory(code)) is not None}
        for kind in kinds:
            by_kind[kind] = by_kind[kind].counting(out)
    return EntryCounts(by_nomination, by_territory, by_kind)


def _plural_ru(n: int, forms: tuple[str, str, str]) -> str:
    """The Russian plural form for n: 1 работа, 2 работы, 5 работ, 21 работа, 11 работ."""
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]
