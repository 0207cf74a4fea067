"""A final's results: places per nomination, with the prizes and special mentions the organiser gives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .entries import EntryId
from .errors import InvalidAward
from .ranking import EntryOutcome, StageRanking


class PrizeKind(StrEnum):
    """What kind of prize it is."""

    CASH = "cash"
    SPONSOR = "sponsor"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Prize:
    """A prize for a place: cash (amount and currency), a sponsor's prize, or anything else."""

    kind: PrizeKind
    description: str
    amount: Decimal | None = None
    currency: str | None = None
    sponsor: str | None = None

    def __post_init__(self) -> None:
        if self.kind is PrizeKind.CASH and (self.amount is None or self.amount <= 0 or not self.currency):
            raise InvalidAward(f"Cash prize '{self.description}' needs a positive amount and a currency.")
        if self.kind is PrizeKind.SPONSOR and not self.sponsor:
            raise InvalidAward(f"Sponsor's prize '{self.description}' needs the sponsor's name.")


@dataclass(frozen=True, slots=True)
class SpecialMention:
    """A jury's special mention of an entry, outside the places."""

    entry_id: EntryId
    text: str


@dataclass(frozen=True, slots=True)
class Awards:
    """What the organiser gives: prizes per place (same in every nomination unless overridden)."""

    prizes_by_place: Mapping[int, tuple[Prize, ...]]
    prizes_by_nomination_place: Mapping[tuple[str, int], tuple[Prize, ...]] | None = None
    special_mentions: tuple[SpecialMention, ...] = ()

    def prizes_for(self, nomination_code: str, place: int) -> tuple[Prize, ...]:
        """The prizes of a place in a nomination."""
        overrides = self.prizes_by_nomination_place or {}
        return overrides.get((nomination_code, place), self.prizes_by_place.get(place, ()))


@dataclass(frozen=True, slots=True)
class Placement:
    """An entry holding a place, with its prizes."""

    entry_id: EntryId
    place: int
    prizes: tuple[Prize, ...]


@dataclass(frozen=True, slots=True)
class NominationResult:
    """The jury's decision in one nomination (what WinnerDeclared carries)."""

    nomination_code: str
    placements: tuple[Placement, ...]
    special_mentions: tuple[SpecialMention, ...]


def declare_results(
    final_ranking: StageRanking, awards: Awards, nominations: Iterable[str] = ()
) -> tuple[NominationResult, ...]:
    """Results per nomination (in code order) from a closed final and the organiser's awards.

    Every nomination of the final gets one, and so does every one of `nominations` (the contest's):
    a nomination nobody reached the final in gets a result without placements, its having no winner.
    """
    if not any(o.place is not None for o in final_ranking.outcomes):
        raise InvalidAward(
            f"Stage '{final_ranking.stage_name}' awarded no places; declare results from a closed final."
        )
    outcomes = {o.entry_id: o for o in final_ranking.outcomes}
    for mention in awards.special_mentions:
        if mention.entry_id not in outcomes or outcomes[mention.entry_id].rank is None:
            raise InvalidAward(
                f"Special mention for entry {mention.entry_id}, which was not ranked in "
                f"'{final_ranking.stage_name}'; mention only entries of the final."
            )
    codes = sorted({o.nomination_code for o in final_ranking.outcomes} | set(nominations))
    return tuple(_nomination_result(final_ranking, awards, code, outcomes) for code in codes)


def _nomination_result(
    ranking: StageRanking, awards: Awards, code: str, outcomes: Mapping[EntryId, EntryOutcome]
) -> NominationResult:
    placed = sorted(
        (o.place, o.entry_id) for o in ranking.outcomes if o.nomination_code == code and o.place is not None
    )
    placements = tuple(
        Placement(entry_id=entry_id, place=place, prizes=awards.prizes_for(code, place))
        for place, entry_id in placed
    )
    mentions = tuple(m for m in awards.special_mentions if outcomes[m.entry_id].nomination_code == code)
    return NominationResult(nomination_code=code, placements=placements, special_mentions=mentions)
