"""HTTP routes for what organisers and the public read about a contest's entries."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from ..adapters.export import export_rows, rows_to_csv, rows_to_xlsx
from ..adapters.repository import EntryFilter
from ..domain.contest import Contest, ContestStatus, TerritoryKind
from ..domain.statistics import ContestStatistics
from ..service_layer import contests as use_cases
from ..service_layer.errors import ResultsNotAnnounced
from ..service_layer.views import EntryView
from .dependencies import ORGANISER_ONLY, ContextDep

router = APIRouter(tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class EntryPage(BaseModel):
    items: list[EntryView]
    total: int
    offset: int
    limit: int


class StatisticsView(BaseModel):
    entry_count: int
    entries_by_nomination: dict[str, int]
    entries_by_territory: dict[str, int]
    territories_by_kind: dict[str, int]
    summary_ru: str
    summary_en: str

    @classmethod
    def of(cls, stats: ContestStatistics) -> StatisticsView:
        return cls(
            entry_count=stats.entry_count,
            entries_by_nomination=stats.entries_by_nomination,
            entries_by_territory=stats.entries_by_territory,
            territories_by_kind={kind.value: n for kind, n in stats.territories_by_kind.items()},
            summary_ru=stats.summary_ru(),
            summary_en=_summary_en(stats),
        )


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
    nomination: str | None = None,
    territory: str | None = None,
    status: Annotated[
        str | None, Query(description="submitted, withdrawn, advanced, not_advanced or winner")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="words of the title or an author")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> EntryPage:
    """The contest's entries, oldest first (organisers only): filter by nomination, territory and
    status, search the title and authors' names, page with offset and limit."""
    where = EntryFilter(nomination_code=nomination, territory_code=territory, status=status, query=q)
    items, total = await use_cases.find_entries(ctx, contest_id, where, offset=offset, limit=limit)
    return EntryPage(items=items, total=total, offset=offset, limit=limit)


@router.get("/contests/{contest_id}/statistics", response_model=StatisticsView, dependencies=ORGANISER_ONLY)
async def contest_statistics(contest_id: uuid.UUID, ctx: ContextDep) -> StatisticsView:
    """Entries by nomination and by territory, and how many territories of each kind took part
    (organisers only); `summary_ru` is the sentence a report quotes."""
    _, stats = await use_cases.statistics(ctx, contest_id)
    return StatisticsView.of(stats)


@router.get("/contests/{contest_id}/export.csv", dependencies=ORGANISER_ONLY, response_class=Response)
async def export_csv(
    contest_id: uuid.UUID, ctx: ContextDep, language: Literal["ru", "en"] = "ru"
) -> Response:
    """The entries as CSV (UTF-8 with BOM; cells a spreadsheet would run as formulas are neutralised)."""
    contest, entries = await use_cases.contest_with_entries(ctx, contest_id)
    body = rows_to_csv(export_rows(contest, entries, language=language), language=language)
    return _download(body, "text/csv; charset=utf-8", f"entries-{contest_id}.csv")


@router.get("/contests/{contest_id}/export.xlsx", dependencies=ORGANISER_ONLY, response_class=Response)
async def export_xlsx(
    contest_id: uuid.UUID, ctx: ContextDep, language: Literal["ru", "en"] = "ru"
) -> Response:
    """The entries as an Excel workbook; every text cell is text, never a formula."""
    contest, entries = await use_cases.contest_with_entries(ctx, contest_id)
    body = rows_to_xlsx(export_rows(contest, entries, language=language), language=language)
    return _download(body, XLSX, f"entries-{contest_id}.xlsx")


@router.get("/contests/{contest_id}/results", response_model=list[PublicEntry])
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
