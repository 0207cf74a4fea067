"""Drawing diplomas (A4 landscape) and thank-you letters (A4 portrait) with fpdf2."""

from __future__ import annotations

from fpdf import FPDF

from ..domain.kinds import DocumentKind
from . import fonts
from .model import DocumentFields
from .texts import LABELS, diploma_text, issue_line, letter_paragraphs

INK = (33, 37, 41)
ACCENT = (122, 28, 38)  # deep claret: titles and frame
GOLD = (176, 141, 87)
MUTED = (108, 117, 125)


def render_pdf(fields: DocumentFields, code: str, verify_url: str | None = None) -> bytes:
    """The document as PDF bytes; `code` (and `verify_url`, if given) are printed at the foot."""
    landscape = fields.kind is not DocumentKind.THANK_YOU_LETTER
    pdf = _new_pdf(fields, code, landscape)
    _frame(pdf)
    _header(pdf, fields)
    if landscape:
        _diploma_body(pdf, fields)
    else:
        _letter_body(pdf, fields)
    _signatures(pdf, fields)
    _footer(pdf, fields, code, verify_url)
    return bytes(pdf.output())


def _new_pdf(fields: DocumentFields, code: str, landscape: bool) -> FPDF:
    pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(28, 20, 28)
    for style, path in fonts.document_fonts().items():
        pdf.add_font(fonts.FAMILY, style, str(path))
    _keep_glyph_outlines(pdf)
    pdf.set_title(f"{_title_of(fields)}: {fields.recipient_name}")
    pdf.set_author(", ".join(fields.organisers))
    pdf.set_subject(fields.contest_title)
    pdf.set_keywords(f"verification:{code} document:{fields.document_id}")
    pdf.add_page()
    return pdf


def _keep_glyph_outlines(pdf: FPDF) -> None:
    """Subsetting keeps each glyph's outline and bounding box as they are; asking fontTools not to
    recompute the boxes lets it copy the glyphs instead of decoding and re-encoding every one, which
    was most of the time spent on a document."""
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False


def _title_of(fields: DocumentFields) -> str:
    if fields.kind is DocumentKind.THANK_YOU_LETTER:
        return LABELS[fields.language]["letter"]
    text = diploma_text(fields)
    return f"{text.title} {text.subtitle}"


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.4)
    pdf.rect(13, 13, pdf.w - 26, pdf.h - 26)


def _centred(
    pdf: FPDF, text: str, size: float, style: str = "", color: tuple[int, int, int] = INK, gap: float = 0
) -> None:
    pdf.set_font(fonts.FAMILY, style, size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
    if gap:
        pdf.ln(gap)


def _header(pdf: FPDF, fields: DocumentFields) -> None:
    pdf.set_y(22)
    _centred(pdf, fields.contest_title, 13, "I", MUTED, gap=6)


def _diploma_body(pdf: FPDF, fields: DocumentFields) -> None:
    text = diploma_text(fields)
    _centred(pdf, text.title, 46, "B", ACCENT)
    _centred(pdf, text.subtitle.upper(), 20, "B", ACCENT, gap=5)
    _centred(pdf, text.lead, 14, "I", MUTED, gap=2)
    _centred(pdf, fields.recipient_name, 26, "B", gap=1)
    _person_details(pdf, fields, 13)
    pdf.ln(4)
    for line in text.reasons:
        _centred(pdf, line, 15, "B" if line.startswith(("«", "“")) else "", gap=1)


def _person_details(pdf: FPDF, fields: DocumentFields, size: float) -> None:
    details = ", ".join(part for part in (fields.position, fields.library) if part)
    if details:
        _centred(pdf, details, size)


def _letter_body(pdf: FPDF, fields: DocumentFields) -> None:
    pdf.ln(8)
    _centred(pdf, LABELS[fields.language]["letter"], 26, "B", ACCENT, gap=10)
    _centred(pdf, fields.recipient_name, 18, "B", gap=1)
    _person_details(pdf, fields, 12)
    pdf.ln(12)
    greeting, paragraphs = letter_paragraphs(fields)
    _centred(pdf, greeting, 16, "B", gap=6)
    pdf.set_font(fonts.FAMILY, "", 13)
    pdf.set_text_color(*INK)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 7, paragraph, align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)


def _signatures(pdf: FPDF, fields: DocumentFields) -> None:
    """Diplomas: organisers on the left, place and date on the right. Letters (narrower): the date
    first, then the organisers across the page."""
    letter = fields.kind is DocumentKind.THANK_YOU_LETTER
    top = pdf.h - (68 if letter else 48)
    pdf.set_xy(pdf.l_margin, top)
    pdf.set_font(fonts.FAMILY, "I", 11)
    pdf.set_text_color(*INK)
    pdf.cell(0, 6, issue_line(fields), align="R")
    pdf.set_xy(pdf.l_margin, top + (10 if letter else 0))
    pdf.set_font(fonts.FAMILY, "B", 11)
    pdf.cell(0, 6, LABELS[fields.language]["organisers"] + ":", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.FAMILY, "", 11)
    width = pdf.epw if letter else pdf.epw * 0.62
    for organiser in fields.organisers:
        pdf.multi_cell(width, 5.5, organiser, align="L", new_x="LMARGIN", new_y="NEXT")


def _footer(pdf: FPDF, fields: DocumentFields, code: str, verify_url: str | None) -> None:
    lines = [f"{LABELS[fields.language]['code']}: {code}"] + ([verify_url] if verify_url else [])
    pdf.set_y(pdf.h - 18 - 4.5 * len(lines))
    pdf.set_font(fonts.FAMILY, "", 9)
    pdf.set_text_color(*MUTED)
    for line in lines:
        pdf.cell(0, 4.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
