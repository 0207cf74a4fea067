"""Jurors and conflicts of interest: automatic (same library / territory), declared, or organiser-set."""

from __future__ import annotations

import re
import unicodedata
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


_QUOTES = str.maketrans("", "", "\"'«»„“”‘’‚‛‹›`")
_PUNCTUATION = str.maketrans({c: " " for c in ".,;:!?()[]/\\-–—‐‑‒―"})
_NUMBER_SIGN = str.maketrans({"№": " № "})
_DISTRICT = re.compile(r"(?<!\w)р-на?(?!\w)")  # "р-н", "р-на": район, района

_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    # Longest first: a longer phrase is folded before a phrase inside it.
    ("межпоселенческая централизованная библиотечная система", "мцбс"),
    ("централизованная библиотечная система", "цбс"),
    ("централизованная клубная система", "цкс"),
    ("муниципальное бюджетное учреждение культуры", "мбук"),
    ("муниципальное казенное учреждение культуры", "мкук"),
    ("муниципальное автономное учреждение культуры", "маук"),
    ("муниципальное учреждение культуры", "мук"),
    ("государственное бюджетное учреждение культуры", "гбук"),
    ("государственное автономное учреждение культуры", "гаук"),
    ("государственное учреждение культуры", "гук"),
    ("муниципальное бюджетное учреждение", "мбу"),
    ("муниципальное казенное учреждение", "мку"),
    ("муниципальное автономное учреждение", "мау"),
    ("центральная городская библиотека", "цгб"),
    ("центральная районная библиотека", "црб"),
    ("центральная детская библиотека", "цдб"),
    ("центральная библиотека", "цб"),
    ("областная научная библиотека", "онб"),
    ("муниципального округа", "мо"),
    ("муниципальный округ", "мо"),
    ("городского округа", "го"),
    ("городской округ", "го"),
    ("муниципального района", "мр"),
    ("муниципальный район", "мр"),
)
_WORDS = {
    "имени": "им",
    "город": "г",
    "города": "г",
    "гор": "г",
    "поселок": "п",
    "поселка": "п",
    "пос": "п",
    "пгт": "п",
    "село": "с",
    "села": "с",
    "района": "р н",
    "район": "р н",
    "номер": "no",
}


def library_key(name: str) -> str:
    """A library's name as people mean it: compatibility forms folded (NFKC), invisible characters
    (zero-width spaces, soft hyphens, direction marks), quote marks («» "" „“ '') and punctuation
    dropped, ё read as е, case and spacing ignored, and common long forms read as their
    abbreviations ("имени" as "им.", "город" as "г.", "муниципальное бюджетное учреждение культуры"
    as "МБУК", "централизованная библиотечная система" as "ЦБС", …)."""
    folded = unicodedata.normalize("NFKC", name.translate(_NUMBER_SIGN))  # NFKC reads № as "No"
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf" and c != "\u00ad")
    text = visible.translate(_QUOTES).casefold().replace("ё", "е")
    text = _DISTRICT.sub(" район ", text).translate(_PUNCTUATION)
    words = f" {' '.join(text.split())} "
    for phrase, short in _ABBREVIATIONS:
        words = words.replace(f" {phrase} ", f" {short} ")
    return " ".join(_WORDS.get(w, w) for w in words.split())


def _same_library(a: str, b: str) -> bool:
    # Libraries are typed by people; blank never matches.
    a_key, b_key = library_key(a), library_key(b)
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


def automatic_conflicts(
    rules: Iterable[ConflictRule], jurors: Iterable[Juror], entries: Iterable[Entry]
) -> Iterable[tuple[Juror, Entry, Conflict]]:
    """Every automatic conflict between the jurors and the (not withdrawn) entries under the contest's
    rules, found through an index of the entries' libraries and territories (not juror × entry)."""
    policy = ConflictPolicy(rules=frozenset(rules))
    by_library: dict[str, list[Entry]] = {}
    by_territory: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.withdrawn:
            continue
        for author in entry.authors:
            by_library.setdefault(library_key(author.library), []).append(entry)
            by_territory.setdefault(author.territory_code.strip(), []).append(entry)
    for juror in jurors:
        candidates: dict[str, Entry] = {}
        if ConflictRule.SAME_LIBRARY in policy.rules and library_key(juror.library):
            candidates.update((e.entry_id, e) for e in by_library.get(library_key(juror.library), ()))
        if ConflictRule.SAME_TERRITORY in policy.rules and juror.territory_code.strip():
            candidates.update((e.entry_id, e) for e in by_territory.get(juror.territory_code.strip(), ()))
        for entry_id in sorted(candidates):
            for conflict in policy.conflicts_between(juror, candidates[entry_id]):
                yield juror, candidates[entry_id], conflict
