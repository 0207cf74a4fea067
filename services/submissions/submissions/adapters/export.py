"""The organisers' list of entries as CSV (UTF-8 with BOM, so Excel reads the Cyrillic) and as XLSX.

Every text cell is written as text, never as a formula: in CSV a cell starting with = + - @, a tab
or a carriage return gets a leading apostrophe (the usual defence against formula injection); in
XLSX the cell is typed as a string, so the text stays exactly what the participant wrote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..domain.contest import Contest
from ..domain.entry import Entry

Language = Literal["ru", "en"]

HEADERS: dict[Language, tuple[str, ...]] = {
    "ru": (
        "Номер", "Номинация", "Название", "Аннотация", "Авторы", "Должности", "Библиотеки",
        "Территории", "E-mail", "Телефоны", "Ссылки", "Редакция", "Статус", "Подана", "Изменена",
        "Идентификатор",
    ),
    "en": (
        "No.", "Nomination", "Title", "Annotation", "Authors", "Positions", "Libraries",
        "Territories", "E-mail", "Phones", "Links", "Revision", "Status", "Submitted", "Updated",
        "Id",
    ),
}  # fmt: skip
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_STATUS = {"ru": {"submitted": "подана", "withdrawn": "отозвана"}, "en": {}}


@dataclass(frozen=True, slots=True)
class ExportRow:
    number: int
    nomination: str
    title: str
    annotation: str
    authors: str
    positions: str
    libraries: str
    territories: str
    emails: str
    phones: str
    links: str
    revision: int
    status: str
    submitted_at: str
    updated_at: str
    entry_id: str


def export_rows(
    contest: Contest, entries: Iterable[Entry], *, language: Language = "ru", include_withdrawn: bool = False
) -> list[ExportRow]:
    """One row per entry, oldest first, with nomination and territory names instead of codes."""
    chosen = [e for e in entries if include_withdrawn or not e.is_withdrawn]
    chosen.sort(key=lambda e: (e.submitted_at, str(e.id)))
    return [_row(number, contest, entry, language) for number, entry in enumerate(chosen, 1)]


def neutralise_cell(value: str) -> str:
    """The cell's text with a leading apostrophe if a spreadsheet would read it as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_TRIGGERS) else value


def rows_to_csv(rows: Sequence[ExportRow], *, language: Language = "ru") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(HEADERS[language])
    for row in rows:
        writer.writerow([neutralise_cell(v) if isinstance(v, str) else v for v in astuple(row)])
    return buffer.getvalue().encode("utf-8-sig")


def rows_to_xlsx(rows: Sequence[ExportRow], *, language: Language = "ru") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Entries" if language == "en" else "Заявки"
    sheet.append(HEADERS[language])
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(astuple(row), start=1):
            cell = sheet.cell(row=row_number, column=column)
            if isinstance(value, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"  # text, never a formula, whatever its first character
            else:
                cell.value = value
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _row(number: int, contest: Contest, entry: Entry, language: Language) -> ExportRow:
    content, authors = entry.content, entry.content.authors
    nomination = contest.nomination(content.nomination_code)
    territories = [contest.territory(a.territory_code) for a in authors]
    return ExportRow(
        number=number,
        nomination=nomination.title if nomination else content.nomination_code,
        title=content.title,
        annotation=content.annotation,
        authors=_join(a.full_name for a in authors),
        positions=_join(a.position for a in authors),
        libraries=_join(a.library for a in authors),
        territories=_join(
            t.name if t else a.territory_code for t, a in zip(territories, authors, strict=True)
        ),
        emails=_join(a.email or "" for a in authors),
        phones=_join(a.phone or "" for a in authors),
        links=" ".join(content.links),
        revision=entry.revision,
        status=_STATUS[language].get(entry.status.value, entry.status.value),
        submitted_at=entry.submitted_at.isoformat(),
        updated_at=entry.updated_at.isoformat(),
        entry_id=str(entry.id),
    )


def _join(values: Iterable[str]) -> str:
    return "; ".join(values)
