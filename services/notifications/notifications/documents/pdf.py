"""Drawing diplomas (A4 landscape) and thank-you letters (A4 portrait)."""

from __future__ import annotations

from typing import Literal

from ..domain.kinds import DocumentKind
from .fonts import Typeface, typeface
from .model import DocumentFields
from .pdf_writer import A4_MM, Color, Page, render, width_mm, wrap
from .texts import LABELS, diploma_text, issue_line, letter_paragraphs

INK = (33, 37, 41)
ACCENT = (122, 28, 38)  # deep claret: titles and frame
GOLD = (176, 141, 87)
MUTED = (108, 117, 125)

MARGIN_X, CELL_PADDING = 28.0, 1.0
Align = Literal["L", "C", "R", "J"]


def render_pdf(fields: DocumentFields, code: str, verify_url: str | None = None) -> bytes:
    """The document as PDF bytes; `code` (and `verify_url`, if given) are printed at the foot."""
    landscape = fields.kind is not DocumentKind.THANK_YOU_LETTER
    sheet = _Sheet(landscape)
    _frame(sheet)
    _header(sheet, fields)
    if landscape:
        _diploma_body(sheet, fields)
    else:
        _letter_body(sheet, fields)
    _signatures(sheet, fields)
    _footer(sheet, fields, code, verify_url)
    return render(
        sheet.page,
        title=f"{_title_of(fields)}: {fields.recipient_name}",
        author=", ".join(fields.organisers),
        subject=fields.contest_title,
        keywords=f"verification:{code} document:{fields.document_id}",
    )


class _Sheet:
    """The page and a cursor moving down it: lines of text are laid out in cells of a given height
    across the width between the margins, each line's baseline a little below the cell's middle."""

    def __init__(self, landscape: bool) -> None:
        short, long = A4_MM
        self.page = Page(long, short) if landscape else Page(short, long)
        self.w, self.h = self.page.width, self.page.height
        self.width = self.w - 2 * MARGIN_X  # the writable width
        self.y = 20.0

    def lines(
        self,
        text: str,
        size: float,
        style: str = "",
        *,
        color: Color = INK,
        height: float | None = None,
        align: Align = "C",
        width: float | None = None,
    ) -> None:
        """`text` wrapped to `width` (the writable width by default), one cell of `height` per line."""
        face = typeface(style)
        height = height if height is not None else size * 0.5
        box = (width if width is not None else self.width) - 2 * CELL_PADDING
        wrapped = wrap(text, face, size, box)
        for number, line in enumerate(wrapped):
            last = number == len(wrapped) - 1
            self._line(line, face, size, color, height, align if align != "J" or not last else "L", box)
            self.y += height

    def _line(
        self, line: str, face: Typeface, size: float, color: Color, height: float, align: Align, box: float
    ) -> None:
        used = width_mm(line, face, size)
        left = MARGIN_X + CELL_PADDING
        x = {"C": left + (box - used) / 2, "R": left + box - used}.get(align, left)
        spaces = line.count(" ")
        gap = (box - used) / spaces if align == "J" and spaces else 0.0
        baseline = self.y + height / 2 + 0.3 * size * 25.4 / 72
        self.page.text(x, baseline, line, face, size, color=color, gap=gap)


def _title_of(fields: DocumentFields) -> str:
    if fields.kind is DocumentKind.THANK_YOU_LETTER:
        return LABELS[fields.language]["letter"]
    text = diploma_text(fields)
    return f"{text.title} {text.subtitle}"


def _frame(sheet: _Sheet) -> None:
    sheet.page.rect(10, 10, sheet.w - 20, sheet.h - 20, color=ACCENT, line_width=1.2)
    sheet.page.rect(13, 13, sheet.w - 26, sheet.h - 26, color=GOLD, line_width=0.4)


def _header(sheet: _Sheet, fields: DocumentFields) -> None:
    sheet.y = 22
    sheet.lines(fields.contest_title, 13, "I", color=MUTED)
    sheet.y += 6


def _diploma_body(sheet: _Sheet, fields: DocumentFields) -> None:
    text = diploma_text(fields)
    sheet.lines(text.title, 46, "B", color=ACCENT)
    sheet.lines(text.subtitle.upper(), 20, "B", color=ACCENT)
    sheet.y += 5
    sheet.lines(text.lead, 14, "I", color=MUTED)
    sheet.y += 2
    sheet.lines(fields.recipient_name, 26, "B")
    sheet.y += 1
    _person_details(sheet, fields, 13)
    sheet.y += 4
    for line in text.reasons:
        sheet.lines(line, 15, "B" if line.startswith(("«", "“")) else "")
        sheet.y += 1


def _person_details(sheet: _Sheet, fields: DocumentFields, size: float) -> None:
    details = ", ".join(part for part in (fields.position, fields.library) if part)
    if details:
        sheet.lines(details, size)


def _letter_body(sheet: _Sheet, fields: DocumentFields) -> None:
    sheet.y += 8
    sheet.lines(LABELS[fields.language]["letter"], 26, "B", color=ACCENT)
    sheet.y += 10
    sheet.lines(fields.recipient_name, 18, "B")
    sheet.y += 1
    _person_details(sheet, fields, 12)
    sheet.y += 12
    greeting, paragraphs = letter_paragraphs(fields)
    sheet.lines(greeting, 16, "B")
    sheet.y += 6
    for paragraph in paragraphs:
        sheet.lines(paragraph, 13, height=7, align="J")
        sheet.y += 3


def _signatures(sheet: _Sheet, fields: DocumentFields) -> None:
    """Diplomas: organisers on the left, place and date on the right. Letters (narrower): the date
    first, then the organisers across the page."""
    letter = fields.kind is DocumentKind.THANK_YOU_LETTER
    top = sheet.h - (68 if letter else 48)
    sheet.y = top
    sheet.lines(issue_line(fields), 11, "I", height=6, align="R")
    sheet.y = top + (10 if letter else 0)
    sheet.lines(LABELS[fields.language]["organisers"] + ":", 11, "B", height=6, align="L")
    width = sheet.width if letter else sheet.width * 0.62
    for organiser in fields.organisers:
        sheet.lines(organiser, 11, height=5.5, align="L", width=width)


def _footer(sheet: _Sheet, fields: DocumentFields, code: str, verify_url: str | None) -> None:
    lines = [f"{LABELS[fields.language]['code']}: {code}"] + ([verify_url] if verify_url else [])
    sheet.y = sheet.h - 18 - 4.5 * len(lines)
    for line in lines:
        sheet.lines(line, 9, color=MUTED, height=4.5)
