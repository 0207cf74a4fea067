"""A small PDF writer for one-page documents: text in embedded TrueType fonts, rectangles, metadata.

Letters and diplomas need little of PDF: a page, lines of text in a few styles of one typeface, two
frames and the document's title and author. A general library re-parses and re-subsets the font for
every document, which made each PDF cost tens of milliseconds; here the font is parsed once
(`fonts.Typeface`), and a document embeds the style's common subset (made once per process, see
`_embedding`) or a subset of its own made by slicing bytes, so a PDF costs about a millisecond. The output is PDF 1.7: each style is a Type 0 font over a CIDFontType2 with Identity
encoding (two bytes per glyph), a ToUnicode map so that text can be searched and extracted, and
compressed streams.

Coordinates are in millimetres from the top-left corner of the page, as the layout is designed;
the writer converts them to PDF points from the bottom-left.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .fonts import COMMON_CHARACTERS, Typeface

POINTS_PER_MM = 72 / 25.4
_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
A4_MM = (210.0, 297.0)

Color = tuple[int, int, int]


@dataclass(slots=True)
class _FontUse:
    """A typeface as one document uses it: its resource name, the glyphs drawn with it (with the
    character each stands for) and, once the page is rendered, their numbers in the embedded subset."""

    resource: str
    face: Typeface
    to_unicode: dict[int, str] = field(default_factory=dict)
    number: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class _TextOp:
    """A line of text: where and how it is set, and its glyphs (original numbers), in runs separated
    by `shift` (thousandths of the size) when the line is justified."""

    at: str
    use: _FontUse
    runs: list[list[int]]
    shift: float

    def content(self) -> str:
        number = self.use.number
        if len(self.runs) == 1:
            return f"{self.at} <{_hex([number[g] for g in self.runs[0]])}> Tj ET"
        shift = f" {self.shift:.1f} "
        shown = shift.join(f"<{_hex([number[g] for g in run])}>" for run in self.runs)
        return f"{self.at} [{shown}] TJ ET"


class Page:
    """One page being drawn. Text is placed by its baseline; sizes of text are in points."""

    def __init__(self, width_mm: float, height_mm: float) -> None:
        self.width, self.height = width_mm, height_mm
        self._ops: list[str | _TextOp] = []
        self._fonts: dict[str, _FontUse] = {}
        self._images: dict[str, bytes] = {}

    def rect(self, x: float, y: float, w: float, h: float, *, color: Color, line_width: float) -> None:
        """The outline of a rectangle whose top-left corner is (x, y); `line_width` in millimetres."""
        k = POINTS_PER_MM
        self._ops.append(
            f"{_rgb(color)} RG {line_width * k:.2f} w "
            f"{x * k:.2f} {(self.height - y - h) * k:.2f} {w * k:.2f} {h * k:.2f} re S"
        )

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, color: Color, line_width: float, dash: float = 0
    ) -> None:
        """A straight line from (x1, y1) to (x2, y2); `dash` (millimetres) draws it dashed."""
        k, h = POINTS_PER_MM, self.height
        pattern = f"[{dash * k:.2f}] 0 d " if dash else ""
        self._ops.append(
            f"q {pattern}{_rgb(color)} RG {line_width * k:.2f} w {x1 * k:.2f} {(h - y1) * k:.2f} m "
            f"{x2 * k:.2f} {(h - y2) * k:.2f} l S Q"
        )

    def circle(
        self, cx: float, cy: float, r: float, *, color: Color, line_width: float, dash: float = 0
    ) -> None:
        """A circle's outline around (cx, cy), of radius `r`, in four Bézier arcs."""
        k = POINTS_PER_MM
        x, y, r = cx * k, (self.height - cy) * k, r * k
        c = 0.5523 * r
        pattern = f"[{dash * k:.2f}] 0 d " if dash else ""
        self._ops.append(
            f"q {pattern}{_rgb(color)} RG {line_width * k:.2f} w {x + r:.2f} {y:.2f} m "
            f"{x + r:.2f} {y + c:.2f} {x + c:.2f} {y + r:.2f} {x:.2f} {y + r:.2f} c "
            f"{x - c:.2f} {y + r:.2f} {x - r:.2f} {y + c:.2f} {x - r:.2f} {y:.2f} c "
            f"{x - r:.2f} {y - c:.2f} {x - c:.2f} {y - r:.2f} {x:.2f} {y - r:.2f} c "
            f"{x + c:.2f} {y - r:.2f} {x + r:.2f} {y - c:.2f} {x + r:.2f} {y:.2f} c S Q"
        )

    def modules(
        self, x: float, y: float, size: float, rows: Sequence[bytes | bytearray], *, color: Color
    ) -> None:
        """A square of dark and light modules (a QR code's matrix: rows of 0 and 1 bytes) `size`
        millimetres wide, its top-left corner at (x, y): a one-bit image mask, each module one
        sample, painted in `color` and never smoothed."""
        width = len(rows[0])
        bits = b"".join(
            int(bytes(row).translate(_AS_DIGITS) + b"0" * (-width % 8), 2).to_bytes((width + 7) // 8, "big")
            for row in rows
        )
        name = f"Im{len(self._images) + 1}"
        self._images[name] = (
            (
                f"<< /Type /XObject /Subtype /Image /Width {width} /Height {len(rows)} /ImageMask true "
                f"/BitsPerComponent 1 /Decode [1 0] /Interpolate false /Length {len(bits)} >>\nstream\n"
            ).encode()
            + bits
            + b"\nendstream"
        )
        k = POINTS_PER_MM
        self._ops.append(
            f"q {_rgb(color)} rg {size * k:.2f} 0 0 {size * k:.2f} {x * k:.2f} "
            f"{(self.height - y - size) * k:.2f} cm /{name} Do Q"
        )

    def text(
        self,
        x: float,
        baseline: float,
        text: str,
        face: Typeface,
        size: float,
        *,
        color: Color,
        gap: float = 0,
    ) -> None:
        """`text` from (x, baseline); `gap` (millimetres) is added at each space, for justified lines.
        A word with a character `face` lacks is drawn in the fallback face (`Typeface.runs`)."""
        if not text:
            return
        if face.covers(text):
            self._run(x, baseline, text, face, size, color, gap)
            return
        for run_face, run in face.runs(text):
            self._run(x, baseline, run, run_face, size, color, gap)
            x += width_mm(run, run_face, size) + gap * run.count(" ")

    def _run(
        self, x: float, baseline: float, text: str, face: Typeface, size: float, color: Color, gap: float
    ) -> None:
        use = self._use(face)
        glyphs = face.glyphs(text)
        drawn = use.to_unicode
        if not drawn.keys() >= set(glyphs):  # the first character drawn with a glyph names it
            fresh = dict(zip(reversed(glyphs), reversed(text), strict=True))
            fresh.pop(0, None)
            use.to_unicode = fresh | drawn
        k = POINTS_PER_MM
        runs = [glyphs]
        shift = 0.0
        if gap and " " in text:
            shift = -gap * k * 1000 / size  # TJ moves by thousandths of the font size, leftwards
            space = face.glyph_of.get(" ", 0)
            runs, current = [], []
            for glyph in glyphs:
                current.append(glyph)
                if glyph == space:
                    runs.append(current)
                    current = []
            runs.append(current)
        at = f"BT /{use.resource} {size:.2f} Tf {_rgb(color)} rg 1 0 0 1 {x * k:.2f} {(self.height - baseline) * k:.2f} Tm"
        self._ops.append(_TextOp(at, use, runs, shift))

    def _use(self, face: Typeface) -> _FontUse:
        use = self._fonts.get(face.postscript_name)
        if use is None:
            use = self._fonts[face.postscript_name] = _FontUse(f"F{len(self._fonts) + 1}", face)
        return use


def width_mm(text: str, face: Typeface, size: float) -> float:
    """How wide `text` is at `size` points, in millimetres."""
    return face.width(text, size) / POINTS_PER_MM


Hyphenate = Callable[[str], Sequence[tuple[str, str]]]
"""A word's hyphenation points: (head with its hyphen, tail) pairs, the longest head first."""


def wrap(
    text: str, face: Typeface, size: float, width: float, hyphenate: Hyphenate | None = None
) -> list[str]:
    """`text` broken into lines no wider than `width` millimetres, at spaces, at a hyphenation point
    of the word that does not fit (when `hyphenate` is given: justified text), or inside a word that
    is wider than a whole line."""
    space = width_mm(" ", face, size)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        words = [word for word in paragraph.split(" ") if word]  # a no-break space holds words together
        for number, word in enumerate(words):
            word_width = width_mm(word, face, size)
            if line and used + space + word_width <= width:
                line, used = f"{line} {word}", used + space + word_width
                continue
            if line and hyphenate is not None and number < len(words) - 1:  # not a paragraph's last word
                room = width - used - space
                split = next((p for p in hyphenate(word) if width_mm(p[0], face, size) <= room), None)
                if split is not None:
                    lines.append(f"{line} {split[0]}")
                    word = split[1]
                    word_width = width_mm(word, face, size)
                    line = ""
            if line:
                lines.append(line)
            line, used = word, word_width
            while used > width and len(line) > 1:
                cut = _longest_fitting(line, face, size, width)
                lines.append(line[:cut])
                line = line[cut:]
                used = width_mm(line, face, size)
        lines.append(line)
    return lines


def _longest_fitting(word: str, face: Typeface, size: float, width: float) -> int:
    for cut in range(len(word) - 1, 0, -1):
        if width_mm(word[:cut], face, size) <= width:
            return cut
    return 1


def render(page: Page, *, title: str, author: str, subject: str, keywords: str) -> bytes:
    """The page as a complete PDF file with the given document properties."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    pages = add(b"")
    fonts = {use.resource: _embed(use, add) for use in page._fonts.values()}
    images = " ".join(f"/{name} {add(image)} 0 R" for name, image in page._images.items())
    drawn = "\n".join(op if isinstance(op, str) else op.content() for op in page._ops)
    content = add(_stream(drawn.encode("latin-1"), ""))
    font_list = " ".join(f"/{name} {number} 0 R" for name, number in fonts.items())
    w, h = page.width * POINTS_PER_MM, page.height * POINTS_PER_MM
    page_number = add(
        f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 {w:.2f} {h:.2f}] "
        f"/Resources << /Font << {font_list} >>{f' /XObject << {images} >>' if images else ''} >> "
        f"/Contents {content} 0 R >>".encode()
    )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages} 0 R >>".encode()
    objects[pages - 1] = f"<< /Type /Pages /Kids [{page_number} 0 R] /Count 1 >>".encode()
    now = datetime.now(UTC).strftime("D:%Y%m%d%H%M%SZ")
    info = add(
        (
            f"<< /Title {_text_string(title)} /Author {_text_string(author)} "
            f"/Subject {_text_string(subject)} /Keywords {_text_string(keywords)} "
            f"/Producer (Kaleidoscope) /CreationDate ({now}) >>"
        ).encode()
    )
    return _file(objects, catalog, info)


@dataclass(frozen=True, slots=True)
class _Embedding:
    """What a document embeds of a typeface: a subset font file, ready to be written."""

    name: str
    drawn: frozenset[int]
    """The glyphs it gives a width and a character to: those a document may draw with it (not the
    parts that composite glyphs are built from, which the subset holds too)."""
    number: dict[int, int]
    font_file: bytes
    widths: str
    to_unicode: bytes


_COMMON: dict[str, _Embedding] = {}


def _embedding(use: _FontUse) -> _Embedding:
    """The document's subset: the typeface's common subset (made once per process, see
    `fonts.COMMON_CHARACTERS`) when it holds every glyph the document drew, otherwise its own."""
    face = use.face
    common = _COMMON.get(face.postscript_name)
    if common is None:
        drawn = {g: c for c in reversed(COMMON_CHARACTERS) if (g := face.glyph_of.get(c))}
        common = _COMMON[face.postscript_name] = _subset_embedding(face, drawn, level=9)
    if use.to_unicode.keys() <= common.drawn:
        return common
    return _subset_embedding(face, use.to_unicode)


def _subset_embedding(face: Typeface, drawn: dict[int, str], level: int = 1) -> _Embedding:
    """A subset of the `drawn` glyphs, its streams compressed at `level` (1 costs least time, 9 the
    fewest bytes: worth it for a subset made once and embedded thousands of times)."""
    glyphs = sorted(drawn)
    subset = face.subset(glyphs)
    return _Embedding(
        name=f"{_subset_tag(glyphs)}+{face.postscript_name}",
        drawn=frozenset(glyphs),
        number=subset.number,
        font_file=_stream(subset.font_file, f" /Length1 {len(subset.font_file)}", level),
        widths="0 [" + " ".join([str(face.widths[g]) for g in [0, *glyphs]]) + "]",
        to_unicode=_stream(_to_unicode_cmap(drawn, subset.number), "", level),
    )


def _stream(data: bytes, extra: str, level: int = 1) -> bytes:
    packed = zlib.compress(data, level)
    return (
        f"<< /Length {len(packed)} /Filter /FlateDecode{extra} >>\nstream\n".encode()
        + packed
        + b"\nendstream"
    )


def _embed(use: _FontUse, add: Callable[[bytes], int]) -> int:
    """The five objects of a Type 0 font for the glyphs `use` drew; returns the Type 0 font's number."""
    face = use.face
    embedding = _embedding(use)
    use.number = embedding.number
    scale = 1000 / face.units_per_em
    name = embedding.name
    font_file = add(embedding.font_file)
    x_min, y_min, x_max, y_max = (round(v * scale) for v in face.bbox)
    flags = 4 | 2 | (64 if face.italic else 0)  # symbolic, serif, italic
    descriptor = add(
        (
            f"<< /Type /FontDescriptor /FontName /{name} /Flags {flags} "
            f"/FontBBox [{x_min} {y_min} {x_max} {y_max}] /ItalicAngle {face.italic_angle:g} "
            f"/Ascent {round(face.ascent * scale)} /Descent {round(face.descent * scale)} "
            f"/CapHeight {round(face.cap_height * scale)} /StemV 80 /FontFile2 {font_file} 0 R >>"
        ).encode()
    )
    cid_font = add(
        (
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {descriptor} 0 R /CIDToGIDMap /Identity /W [{embedding.widths}] >>"
        ).encode()
    )
    to_unicode = add(embedding.to_unicode)
    return add(
        (
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
            f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
        ).encode()
    )


def _to_unicode_cmap(to_unicode: dict[int, str], number: dict[int, int]) -> bytes:
    entries = [_bfchar(number[glyph], character) for glyph, character in sorted(to_unicode.items())]
    blocks = []
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        blocks.append(f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode()


def _file(objects: list[bytes], root: int, info: int) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    file_id = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R /Info {info} 0 R "
        f"/ID [<{file_id}> <{file_id}>] >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _hex(glyphs: Sequence[int]) -> str:
    return struct.pack(f">{len(glyphs)}H", *glyphs).hex().upper()


@functools.lru_cache(maxsize=8192)
def _bfchar(glyph: int, character: str) -> str:
    return f"<{glyph:04X}> <{_utf16_hex(character)}>"


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def _text_string(text: str) -> str:
    """A PDF text string: UTF-16 with a byte-order mark, as a hex string (any script, no escaping)."""
    return f"<FEFF{_utf16_hex(text)}>"


def _rgb(color: Color) -> str:
    return " ".join(f"{channel / 255:.3f}" for channel in color)


def _subset_tag(glyphs: list[int]) -> str:
    """Six capital letters naming this subset, as PDF asks of an embedded subset font's name."""
    digest = hashlib.sha1(_hex(glyphs).encode(), usedforsecurity=False).digest()
    return "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
