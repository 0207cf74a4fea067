"""Drawing diplomas (A4 landscape) and thank-you letters (A4 portrait).

Every kind has the same three parts: at the top, the organising bodies and the contest's full name;
in the middle, the document itself (its title, the recipient, why), centred in the space left and
spaced out to fill it; at the foot, the signatories (position, a line to sign on, name), the place
for the seal, the date of the decision and the verification code beside a QR code that opens the
verification page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import segno
from segno.consts import MODE_ALPHANUMERIC, MODE_BYTE

from ..domain.kinds import DocumentKind
from .fonts import Typeface, UnsupportedCharacters, describe, typeface, unsupported
from .model import DocumentFields
from .pdf_writer import A4_MM, Color, Hyphenate, Page, render, width_mm, wrap
from .texts import LABELS, diploma_text, hyphenator, issue_line, letter_paragraphs

INK = (33, 37, 41)
ACCENT = (122, 28, 38)  # deep claret: titles and frame
GOLD = (176, 141, 87)
MUTED = (108, 117, 125)

MARGIN_X, CELL_PADDING = 28.0, 1.0
_INITIAL = re.compile(r"(?<!\w)(\w\.) ")
"""An initial or a one-letter abbreviation («В. Д. Фёдорова», «г. Белово»): kept with what follows."""
Align = Literal["L", "C", "R", "J"]


def render_pdf(fields: DocumentFields, code: str, verify_url: str | None = None) -> bytes:
    """The document as PDF bytes; `code` (and `verify_url`, if given, as a QR code) at the foot.
    Raises `UnsupportedCharacters` when a field holds a character no embedded font can draw."""
    refuse_unprintable(fields)
    letter = fields.kind is DocumentKind.THANK_YOU_LETTER
    sheet = _Sheet(landscape=not letter)
    _frame(sheet)
    top = _header(sheet, fields)
    foot = _foot(sheet, fields, code, verify_url)
    body = _letter_body(sheet, fields) if letter else _diploma_body(sheet, fields)
    sheet.fill(body, top, foot)
    return render(
        sheet.page,
        title=f"{_title_of(fields)}: {fields.recipient_name}",
        author=", ".join(fields.organisers),
        subject=fields.contest_title,
        keywords=f"verification:{code} document:{fields.document_id}",
    )


def refuse_unprintable(fields: DocumentFields) -> None:
    """`UnsupportedCharacters` naming what cannot be drawn, and in which field: never empty boxes."""
    texts = {
        "recipient_name": fields.recipient_name,
        "project_title": fields.project_title,
        "nomination": fields.nomination,
        "contest_title": fields.contest_title,
        "position": fields.position,
        "library": fields.library,
        "city": fields.city,
        "mention": fields.mention,
        "organisers": " ".join(fields.organisers),
        "signatories": " ".join(f"{n} {p}" for n, p in fields.signatories),
    }
    if not unsupported(" ".join(texts.values())):
        return
    found = {name: missing for name, text in texts.items() if (missing := unsupported(text))}
    if found:
        where = "; ".join(f"{name}: {describe(missing)}" for name, missing in found.items())
        raise UnsupportedCharacters(
            f"the {fields.kind.value.replace('_', ' ')} {fields.document_id} cannot be printed: no "
            f"font of the documents has these characters ({where}); correct the text or issue it by hand"
        )


@dataclass(frozen=True, slots=True)
class _Text:
    text: str
    size: float
    style: str = ""
    color: Color = INK
    height: float | None = None
    align: Align = "C"
    hyphenate: Hyphenate | None = None


@dataclass(frozen=True, slots=True)
class _Gap:
    """Space between lines: `least` millimetres, and a share (`weight`) of the space left over."""

    least: float
    weight: float = 1.0


_Item = _Text | _Gap


class _Sheet:
    """The page and a cursor moving down it: lines of text are laid out in cells of a given height
    across the width between the margins, each line's baseline a little below the cell's middle."""

    def __init__(self, landscape: bool) -> None:
        short, long = A4_MM
        self.page = Page(long, short) if landscape else Page(short, long)
        self.w, self.h = self.page.width, self.page.height
        self.width = self.w - 2 * MARGIN_X  # the writable width
        self.y = 20.0
        self._wraps: dict[tuple[str, str, float, float, Hyphenate | None], list[str]] = {}

    def lines(
        self,
        text: str,
        size: float,
        style: str = "",
        *,
        color: Color = INK,
        height: float | None = None,
        align: Align = "C",
        x: float = MARGIN_X,
        width: float | None = None,
        hyphenate: Hyphenate | None = None,
    ) -> None:
        """`text` wrapped to `width` (the writable width by default), one cell of `height` per line."""
        face = typeface(style)
        height = height if height is not None else size * 0.5
        box = (width if width is not None else self.width) - 2 * CELL_PADDING
        wrapped = self._wrapped(text, face, size, box, hyphenate)
        for number, line in enumerate(wrapped):
            last = number == len(wrapped) - 1
            line_align: Align = align if align != "J" or not last else "L"
            self._line(line, face, size, color, height, line_align, x + CELL_PADDING, box)
            self.y += height

    def measure(self, item: _Text) -> float:
        face = typeface(item.style)
        height = item.height if item.height is not None else item.size * 0.5
        box = self.width - 2 * CELL_PADDING
        return height * len(self._wrapped(item.text, face, item.size, box, item.hyphenate))

    def _wrapped(
        self, text: str, face: Typeface, size: float, box: float, hyphenate: Hyphenate | None
    ) -> list[str]:
        """`wrap`, initials tied to what follows; remembered, as `fill` measures before it draws."""
        key = (text, face.postscript_name, size, box, hyphenate)
        lines = self._wraps.get(key)
        if lines is None:
            tied = _INITIAL.sub("\\1\u00a0", text) if ". " in text else text
            lines = self._wraps[key] = wrap(tied, face, size, box, hyphenate)
        return lines

    def fill(self, items: Sequence[_Item], top: float, bottom: float) -> None:
        """`items` between `top` and `bottom`: the space left over goes to the gaps by weight, up to
        three times each gap's least, and what remains is split above and below."""
        texts = sum(self.measure(i) for i in items if isinstance(i, _Text))
        gaps = [i for i in items if isinstance(i, _Gap)]
        free = bottom - top - texts - sum(g.least for g in gaps)
        weights = sum(g.weight for g in gaps) or 1.0
        stretch = {id(g): min(max(free, 0) * g.weight / weights, 2 * g.least) for g in gaps}
        used = texts + sum(g.least + stretch[id(g)] for g in gaps)
        self.y = top + max(bottom - top - used, 0) / 2
        for item in items:
            if isinstance(item, _Gap):
                self.y += item.least + stretch[id(item)]
            else:
                self.lines(
                    item.text,
                    item.size,
                    item.style,
                    color=item.color,
                    height=item.height,
                    align=item.align,
                    hyphenate=item.hyphenate,
                )

    def _line(
        self,
        line: str,
        face: Typeface,
        size: float,
        color: Color,
        height: float,
        align: Align,
        left: float,
        box: float,
    ) -> None:
        used = width_mm(line, face, size)
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
    page, w, h = sheet.page, sheet.w, sheet.h
    page.rect(10, 10, w - 20, h - 20, color=ACCENT, line_width=1.2)
    page.rect(13, 13, w - 26, h - 26, color=GOLD, line_width=0.4)
    for x, y in ((13, 13), (w - 13, 13), (13, h - 13), (w - 13, h - 13)):  # the corners' rosettes
        page.circle(x, y, 1.6, color=GOLD, line_width=0.4)


def _header(sheet: _Sheet, fields: DocumentFields) -> float:
    """The organising bodies and the contest's full name; returns where the header ends."""
    letter = sheet.h > sheet.w
    sheet.y = 20
    if fields.organisers:
        sheet.lines(" · ".join(fields.organisers), 9 if letter else 10, color=MUTED, height=4.6)
        sheet.y += 2
    if fields.contest_title:
        sheet.lines(
            fields.contest_title, 13 if letter else 15, "B", color=ACCENT, height=6.4 if letter else 7
        )
    sheet.y += 3
    middle = sheet.w / 2
    sheet.page.line(middle - 30, sheet.y, middle + 30, sheet.y, color=GOLD, line_width=0.5)
    return sheet.y + 2


def _diploma_body(sheet: _Sheet, fields: DocumentFields) -> list[_Item]:
    text = diploma_text(fields)
    details = ", ".join(part for part in (fields.position, fields.library) if part)
    special = fields.kind is DocumentKind.SPECIAL_MENTION_DIPLOMA
    items: list[_Item] = [
        _Text(text.title, 44, "B", ACCENT, height=17),
        _Text(text.subtitle.upper(), 17, "B", ACCENT, height=8),
        _Gap(4, 2),
        _Text(text.lead, 13, "I", MUTED, height=6.5),
        _Gap(1, 0.5),
        _Text(fields.recipient_name, 26, "B", height=12),
    ]
    if details:
        items += [_Text(details, 12, color=MUTED, height=6)]
    items += [
        _Gap(3, 2),
        _Text(text.reason, 14, "I" if special else "", height=7),
        _Gap(0.5, 0.2),
        _Text(text.project, 17, "B", height=8.5),
    ]
    if text.nomination:
        items += [_Gap(0.5, 0.2), _Text(text.nomination, 13, height=6.5)]
    return items


def _letter_body(sheet: _Sheet, fields: DocumentFields) -> list[_Item]:
    greeting, paragraphs = letter_paragraphs(fields)
    details = ", ".join(part for part in (fields.position, fields.library) if part)
    hyphenate = hyphenator(fields.language)
    items: list[_Item] = [
        _Text(LABELS[fields.language]["letter"], 24, "B", ACCENT, height=11),
        _Gap(6, 2),
        _Text(fields.recipient_name, 17, "B", height=8),
    ]
    if details:
        items += [_Text(details, 11, color=MUTED, height=5.4)]
    items += [_Gap(8, 2), _Text(greeting, 14, "B", height=7), _Gap(3, 1)]
    for number, paragraph in enumerate(paragraphs):
        if number:
            items.append(_Gap(2, 0.5))
        items.append(_Text(paragraph, 13, height=6.6, align="J", hyphenate=hyphenate))
    return items


def qr_box(kind: DocumentKind) -> tuple[float, float, float]:
    """Where the QR code is drawn: its top-left corner and its side, in millimetres from the top-left
    of the page."""
    short, long = A4_MM
    w, h = (short, long) if kind is DocumentKind.THANK_YOU_LETTER else (long, short)
    size = 24.0
    return w - MARGIN_X - size, h - 17 - size + 1, size


def qr_content(verify_url: str, code: str) -> str | list[tuple[str, int]]:
    """What the QR code holds: the verification URL, its code written compactly (upper-case letters
    and digits, which the verification page accepts as typed) in QR's alphanumeric mode after the
    address in byte mode. Half the code's bits: a smaller symbol (version 3 rather than 4 for
    `http://127.0.0.1:8000/verify/…`), quicker to draw and to scan."""
    compact = "".join(ch for ch in code if ch.isalnum())
    if not verify_url.endswith(code) or not compact.isascii() or not compact.isupper():
        return verify_url
    return [(verify_url[: -len(code)], MODE_BYTE), (compact, MODE_ALPHANUMERIC)]


def _foot(sheet: _Sheet, fields: DocumentFields, code: str, verify_url: str | None) -> float:
    """The signatories with the seal's place, the date, the code and its QR code; returns where the
    foot begins (the body ends above it)."""
    letter = sheet.h > sheet.w
    labels = LABELS[fields.language]
    page = sheet.page
    bottom = sheet.h - 17  # the foot's last baseline, above the inner frame
    # The verification: a QR code in the bottom-right corner, the code and the date beside it.
    qr_x, qr_top, qr_size = qr_box(fields.kind)
    text_right = sheet.w - MARGIN_X
    if verify_url:
        # A fixed mask: choosing the best of eight would cost more than drawing the rest of the page,
        # and any mask reads.
        content = qr_content(verify_url, code)
        # segno encodes a list of (content, mode) segments; its type hints name only a single value
        matrix = segno.make_qr(content, error="m", mask=0).matrix  # type: ignore[arg-type]
        page.modules(qr_x, qr_top, qr_size, matrix, color=INK)
        text_right = qr_x - 3
    area = 80.0
    sheet.y = qr_top + 1
    x = text_right - area
    align: Align = "R"
    sheet.lines(issue_line(fields), 11, "I", height=6, x=x, width=area, align=align)
    sheet.y += 2
    sheet.lines(labels["code"], 8, color=MUTED, height=4, x=x, width=area, align=align)
    sheet.lines(code, 11, "B", height=5.5, x=x, width=area, align=align)
    if verify_url:
        sheet.lines(verify_url, 7.5, color=MUTED, height=4, x=x, width=area, align=align)
    # The signatories, one row each: position, a line to sign on, the name; bottom-left on a diploma,
    # above the verification on a letter (narrower).
    rows = fields.signatories
    row_height = 11.0 if letter else 12.0
    position_width = 58.0 if letter else 72.0
    line_width = 30.0 if letter else 38.0
    last = qr_top - 9 if letter else bottom
    start = last - row_height * max(len(rows), 1) + 2
    x = MARGIN_X + position_width + 4
    for number, (name, position) in enumerate(rows):
        line_y = start + number * row_height + 3
        face = typeface("")
        wrapped = len(wrap(position, face, 9, position_width - 2 * CELL_PADDING))
        sheet.y = line_y - 3.4 - (wrapped - 1) * 4
        sheet.lines(position, 9, color=MUTED, height=4, x=MARGIN_X, width=position_width, align="L")
        page.line(x, line_y, x + line_width, line_y, color=INK, line_width=0.25)
        sheet.y = line_y - 4.2
        sheet.lines(name, 11, "B", height=6, x=x + line_width + 2, width=60, align="L")
    seal_x = x + line_width / 2
    seal_y = start + (row_height * max(len(rows), 1)) / 2 - 2
    page.circle(seal_x, seal_y, 13, color=MUTED, line_width=0.3, dash=1.2)
    sheet.y = seal_y - 2.5
    sheet.lines(labels["seal"], 9, color=MUTED, height=5, x=seal_x - 15, width=30)
    return min(start - 8, seal_y - 15, qr_top - 4)
