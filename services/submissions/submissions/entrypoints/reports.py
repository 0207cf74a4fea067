"""HTTP routes for what organisers and the public read about a contest's entries."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from kaleidoscope_shared.http.openapi import problems

from ..adapters.export import export_rows, rows_to_csv, rows_to_xlsx
from ..adapters.repository import EntryFilter
from ..adapters.rows import row_to_entry
from ..domain.contest import Contest, ContestStatus, TerritoryKind
from ..domain.entry import Entry
from ..domain.statistics import ContestStatistics, EntryCounts, Tally
from ..service_layer import contests as use_cases
from ..service_layer.context import SubmissionsContext
from ..service_layer.errors import ResultsNotAnnounced
from ..service_layer.views import EntryHistory, EntryView
from .dependencies import ORGANISER_ONLY, ContextDep

router = APIRouter(tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class EntryListItem(EntryView):
    """An entry as the organisers' list shows it: the whole entry, and in plain columns its
    nomination, its first author's territory (with the territory's kind) and library, and the
    authors' names."""

    nomination_code: str
    territory_code: str
    territory_kind: str | None
    """None for a territory the contest no longer lists."""
    title: str
    authors: list[str]
    library: str

    @classmethod
    def of_view(cls, contest: Contest, view: EntryView) -> EntryListItem:
        first = view.content.authors[0]
        territory = contest.territory(first.territory_code)
        return cls(
            **view.model_dump(),
            nomination_code=view.content.nomination_code,
            territory_code=first.territory_code,
            territory_kind=territory.kind.value if territory else None,
            title=view.content.title,
            authors=[a.full_name for a in view.content.authors],
            library=first.library,
        )


class EntryPage(BaseModel):
    items: list[EntryListItem]
    total: int
    offset: int
    limit: int


class TallyView(BaseModel):
    received: int
    withdrawn: int
    active: int

    @classmethod
    def of(cls, tally: Tally) -> dict[str, int]:
        return {"received": tally.received, "withdrawn": tally.withdrawn, "active": tally.active}


class NominationTally(TallyView):
    code: str
    title: str


class TerritoryTally(TallyView):
    code: str
    name: str
    kind: str | None


class KindTally(TallyView):
    kind: str


class StatisticsView(BaseModel):
    """`entry_count` and the `entries_by_*` / `territories_by_kind` figures count active entries;
    `by_nomination`, `by_territory` and `by_territory_kind` give received / withdrawn / active for
    each nomination, territory and kind the contest lists (an entry once per territory and kind of
    its authors)."""

    entry_count: int
    entries_by_nomination: dict[str, int]
    entries_by_territory: dict[str, int]
    territories_by_kind: dict[str, int]
    by_nomination: list[NominationTally]
    by_territory: list[TerritoryTally]
    by_territory_kind: list[KindTally]
    summary_ru: str
    summary_en: str

    @classmethod
    def of(cls, contest: Contest, stats: ContestStatistics, counts: EntryCounts) -> StatisticsView:
        def nomination_title(code: str) -> str:
            return n.title if (n := contest.nomination(code)) else code

        def territory(code: str) -> tuple[str, str | None]:
            t = contest.territory(code)
            return (t.name, t.kind.value) if t else (code, None)

        return cls(
            entry_count=stats.entry_count,
            entries_by_nomination=stats.entries_by_nomination,
            entries_by_territory=stats.entries_by_territory,
            territories_by_kind={kind.value: n for kind, n in stats.territories_by_kind.items()},
            by_nomination=[
                NominationTally(code=code, title=nomination_title(code), **TallyView.of(tally))
                for code, tally in counts.by_nomination.items()
            ],
            by_territory=[
                TerritoryTally(
                    code=code, name=territory(code)[0], kind=territory(code)[1], **TallyView.of(tally)
                )
                for code, tally in counts.by_territory.items()
            ],
            by_territory_kind=[
                KindTally(kind=kind.value, **TallyView.of(tally))
                for kind, tally in counts.by_territory_kind.items()
            ],
            summary_ru=stats.summary_ru(),
            summary_en=_summary_en(stats),
        )


class EntryFilters:
    """The filters the list and the exports share."""

    def __init__(
        self,
        nomination: Annotated[str | None, Query(max_length=64, description="a nomination code")] = None,
        territory: Annotated[
            str | None, Query(max_length=64, description="a territory code (any author's)")
        ] = None,
        territory_kind: Annotated[
            TerritoryKind | None, Query(description="city_district or municipal_district (any author's)")
        ] = None,
        status: Annotated[
            str | None,
            Query(max_length=32, description="submitted, withdrawn, advanced, not_advanced or winner"),
        ] = None,
        q: Annotated[
            str | None,
            Query(
                max_length=200,
                description="words of the title, an author's name or library (case and ё/е ignored)",
            ),
        ] = None,
    ) -> None:
        self.nomination, self.territory, self.territory_kind = nomination, territory, territory_kind
        self.status, self.q = status, q

    def where(self, contest: Contest) -> EntryFilter:
        codes = (
            tuple(t.code for t in contest.territories if t.kind is self.territory_kind)
            if self.territory_kind is not None
            else None
        )
        return EntryFilter(
            nomination_code=self.nomination,
            territory_code=self.territory,
            territory_codes=codes,
            status=self.status,
            query=self.q,
        )


FiltersDep = Annotated[EntryFilters, Depends()]


class PublicAuthor(BaseModel):
    full_name: str
    position: str
    library: str
    territory: str


class PublicPrize(BaseModel):
    kind: str
    """cash, sponsor or other"""
    description: str
    amount: Decimal | None = None
    currency: str | None = None


class PublicEntry(BaseModel):
    """What anyone may see of an entry once results are out: no e-mails, no phones.

    `progress` is `winner` (with `place` and `prizes`), `advanced` (took part in the last stage without
    a place: a finalist), `not_advanced` or `submitted`; `finalist` is true for winners and finalists.
    `special_mention` is the jury's words when it singled the entry out."""

    id: uuid.UUID
    nomination: str
    nomination_code: str
    title: str
    authors: list[PublicAuthor]
    progress: str
    place: int | None = None
    finalist: bool = False
    prizes: list[PublicPrize] = []
    special_mention: str | None = None


@router.get("/contests/{contest_id}/entries", response_model=EntryPage, dependencies=ORGANISER_ONLY)
async def list_entries(
    contest_id: uuid.UUID,
    ctx: ContextDep,
    filters: FiltersDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> EntryPage:
    """The contest's entries, oldest first (organisers only): filter by nomination, territory,
    territory kind and status, search the title, the authors' names and libraries, page with offset
    and limit."""
    contest, rows, total = await use_cases.filtered_entries(
        ctx, contest_id, filters.where, offset=offset, limit=limit
    )
    items = [EntryListItem.of_view(contest, EntryView.of_row(row)) for row in rows]
    return EntryPage(items=items, total=total, offset=offset, limit=limit)


@router.get("/contests/{contest_id}/statistics", response_model=StatisticsView, dependencies=ORGANISER_ONLY)
async def contest_statistics(contest_id: uuid.UUID, ctx: ContextDep) -> StatisticsView:
    """Entries received, withdrawn and active by nomination, territory and territory kind, and how
    many territories of each kind took part (organisers only); `summary_ru` is the sentence a report
    quotes."""
    contest, stats, counts = await use_cases.statistics(ctx, contest_id)
    return StatisticsView.of(contest, stats, counts)


@router.get(
    "/contests/{contest_id}/entries/{entry_id}/history",
    response_model=EntryHistory,
    dependencies=ORGANISER_ONLY,
)
async def entry_history(contest_id: uuid.UUID, entry_id: uuid.UUID, ctx: ContextDep) -> EntryHistory:
    """One entry's revisions (when, which fields changed, its title then) and its withdrawal, with the
    reason (organisers only)."""
    return await use_cases.entry_history(ctx, contest_id, entry_id)


async def _filtered(
    ctx: SubmissionsContext, contest_id: uuid.UUID, filters: EntryFilters
) -> tuple[Contest, list[Entry]]:
    contest, rows, _ = await use_cases.filtered_entries(ctx, contest_id, filters.where)
    return contest, [row_to_entry(row) for row in rows]


@router.get(
    "/contests/{contest_id}/export.csv",
    dependencies=ORGANISER_ONLY,
    response_class=Response,
    responses={
        200: {
            "description": "The entries, one a row.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def export_csv(
    contest_id: uuid.UUID, ctx: ContextDep, filters: FiltersDep, language: Literal["ru", "en"] = "ru"
) -> Response:
    """The entries as CSV (UTF-8 with BOM; cells a spreadsheet would run as formulas are neutralised),
    narrowed by the list's filters; withdrawn entries only when `status=withdrawn` asks for them."""
    contest, entries = await _filtered(ctx, contest_id, filters)
    rows = export_rows(contest, entries, language=language, include_withdrawn=filters.status == "withdrawn")
    body = rows_to_csv(rows, language=language)
    return _download(body, "text/csv; charset=utf-8", f"entries-{contest_id}.csv")


@router.get(
    "/contests/{contest_id}/export.xlsx",
    dependencies=ORGANISER_ONLY,
    response_class=Response,
    responses={
        200: {
            "description": "The entries, one a row.",
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def export_xlsx(
    contest_id: uuid.UUID, ctx: ContextDep, filters: FiltersDep, language: Literal["ru", "en"] = "ru"
) -> Response:
    """The entries as an Excel workbook, narrowed by the list's filters; every text cell is text,
    never a formula."""
    contest, entries = await _filtered(ctx, contest_id, filters)
    rows = export_rows(contest, entries, language=language, include_withdrawn=filters.status == "withdrawn")
    body = rows_to_xlsx(rows, language=language)
    return _download(body, XLSX, f"entries-{contest_id}.xlsx")


@router.get(
    "/contests/{contest_id}/results",
    response_model=list[PublicEntry],
    responses=problems(_409="The contest's results have not been announced."),
)
async def public_results(contest_id: uuid.UUID, ctx: ContextDep) -> list[PublicEntry]:
    """The public list of entries with where each ended up, once the contest's results are announced."""
    contest = await use_cases.get_contest(ctx, contest_id)
    if contest.status is not ContestStatus.RESULTS:
        raise ResultsNotAnnounced()
    page, _ = await use_cases.find_entries(
        ctx, contest_id, EntryFilter(status="submitted"), offset=0, limit=1_000_000
    )
    return [_public(contest, entry) for entry in page]


def _public(contest: Contest, entry: EntryView) -> PublicEntry:
    nomination = contest.nomination(entry.content.nomination_code)
    detail: dict[str, Any] = entry.progress_detail
    return PublicEntry(
        id=entry.id,
        nomination=nomination.title if nomination else entry.content.nomination_code,
        nomination_code=entry.content.nomination_code,
        title=entry.content.title,
        authors=[
            PublicAuthor(
                full_name=a.full_name,
                position=a.position,
                library=a.library,
                territory=(t.name if (t := contest.territory(a.territory_code)) else a.territory_code),
            )
            for a in entry.content.authors
        ],
        progress=entry.progress,
        place=detail.get("place") if entry.progress == "winner" else None,
        finalist=entry.progress in ("winner", "advanced"),
        prizes=[PublicPrize.model_validate(p) for p in detail.get("prizes", [])],
        special_mention=detail.get("special_mention"),
    )


def _summary_en(stats: ContestStatistics) -> str:
    """E.g. "34 entries from 10 city districts and 9 municipal districts"."""

    def counted(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    kinds = {
        TerritoryKind.CITY_DISTRICT: "city district",
        TerritoryKind.MUNICIPAL_DISTRICT: "municipal district",
    }
    places = " and ".join(counted(n, kinds[kind]) for kind, n in stats.territories_by_kind.items() if n)
    entries = f"{stats.entry_count} {'entry' if stats.entry_count == 1 else 'entries'}"
    return f"{entries} from {places}" if places else entries


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
