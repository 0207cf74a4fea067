"""The typeface of every document: PT Serif, made by ParaType for Russian, shipped on PyPI inside the
`fontpkg-pt-serif` package, so documents look the same on every machine whatever fonts it has.

Documents are drawn by the ten thousand at a contest's end, so the font work is done once per process:
each style is cut down to the scripts documents are written in (Latin, Cyrillic, punctuation; no
hinting or layout tables, which a PDF viewer does not use) and parsed into a `Typeface` that measures
text and hands out glyph outlines. A `subset` of it (the glyphs a text needs, numbered anew) is then
built by slicing and joining glyph records, without parsing or re-encoding the font again.
"""

from __future__ import annotations

import functools
import io
import struct
import sys
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import fontpkg_pt_serif
from fontTools import subset
from fontTools.ttLib import TTFont

_FILES = Path(fontpkg_pt_serif.ROOT) / "files"
STYLES: dict[str, Path] = {
    "": _FILES / "PT_Serif-Web-Regular.ttf",
    "B": _FILES / "PT_Serif-Web-Bold.ttf",
    "I": _FILES / "PT_Serif-Web-Italic.ttf",
    "BI": _FILES / "PT_Serif-Web-BoldItalic.ttf",
}

# Latin-1 and Latin Extended-A, Cyrillic and its supplement, general punctuation, №, ₽.
_RANGES = [(0x20, 0x7E), (0xA0, 0x17F), (0x400, 0x52F), (0x2010, 0x205E), (0x2116, 0x2116), (0x20BD, 0x20BD)]
# The tables of a PDF's embedded TrueType font besides those a subset makes (glyf, loca, hmtx, maxp,
# hhea). No `cmap`: a CIDFontType2 with an identity CIDToGIDMap addresses glyphs by number.
# What nearly every document is written in: printable ASCII, the Russian alphabet and the usual
# typographic marks. A document drawn only in these shares one subset per style (made once per
# process); one with other characters (é, ґ, ₽) gets a subset of its own.
COMMON_CHARACTERS = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    + "«»„“”‘’—–‐‑…№•·°\u00a0"
)
_KEPT_TABLES = ("head", "hhea", "maxp", "name", "OS/2", "post")
_COMPOSITE_FLAGS = {
    "more": 0x0020,
    "words": 0x0001,
    "scale": 0x0008,
    "xy_scale": 0x0040,
    "two_by_two": 0x0080,
}


@dataclass(frozen=True, slots=True)
class Typeface:
    """One style of the document font, parsed once: metrics, glyph numbers and glyph outlines."""

    postscript_name: str
    units_per_em: int
    ascent: int
    descent: int
    cap_height: int
    italic_angle: float
    bbox: tuple[int, int, int, int]
    glyph_of: dict[str, int]
    """Character → glyph number (characters the font lacks are not here: they draw as glyph 0)."""
    advances: tuple[int, ...]
    """Advance width of each glyph, in font units."""
    advance_of: dict[str, int]
    """Character → advance width of its glyph, in font units."""
    outlines: tuple[bytes, ...]
    """Each glyph's `glyf` record, padded to four bytes."""
    metrics: tuple[bytes, ...]
    """Each glyph's `hmtx` record (advance, left side bearing)."""
    components: tuple[frozenset[int], ...]
    """For a composite glyph, every glyph its outline is built from (transitively)."""
    tables: dict[str, _Table]
    """The tables every subset shares, `head` set to 32-bit `loca` offsets."""
    widths: tuple[int, ...]
    """Each glyph's advance in thousandths of the size, as a PDF font's /W array gives it."""
    measured: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    """Advances of texts measured before, in font units."""

    @property
    def italic(self) -> bool:
        return self.italic_angle != 0

    def glyphs(self, text: str) -> list[int]:
        get = self.glyph_of.get
        return [get(character, 0) for character in text]

    def width(self, text: str, size: float) -> float:
        """The advance of `text` at `size` (in the unit `size` is given in)."""
        units = self.measured.get(text)
        if units is None:
            get, missing = self.advance_of.get, self.advances[0]
            units = sum([get(character, missing) for character in text])
            if len(self.measured) < 100_000:  # words and lines repeat from document to document
                self.measured[text] = units
        return units * size / self.units_per_em

    def subset(self, used: Iterable[int]) -> Subset:
        """A TrueType file of glyph 0, the `used` glyphs and the glyphs they are built from, numbered
        anew from 0 in that order (so a document's font holds a few dozen glyphs, not all of them)."""
        direct = sorted(set(used) - {0})
        parts = sorted(set().union(*(self.components[g] for g in direct)) - set(direct) - {0})
        order = [0, *direct, *parts]
        number = {glyph: new for new, glyph in enumerate(order)}
        outlines = [_renumbered(self.outlines[glyph], number) for glyph in order]
        loca = array("I", accumulate(map(len, outlines), initial=0))
        _big_endian(loca)
        count = struct.pack(">H", len(order))
        maxp, hhea = self.tables["maxp"].data, self.tables["hhea"].data
        tables = self.tables | {
            "maxp": _Table(maxp[:4] + count + maxp[6:]),
            "hhea": _Table(hhea[:34] + count + hhea[36:]),
            "hmtx": _Table(b"".join(self.metrics[glyph] for glyph in order)),
            "loca": _Table(loca.tobytes()),
            "glyf": _Table(b"".join(outlines)),
        }
        return Subset(_font_file(tables), number)


@dataclass(frozen=True, slots=True)
class Subset:
    """A document's font file and the number each original glyph has in it."""

    font_file: bytes
    number: dict[int, int]


def _renumbered(outline: bytes, number: dict[int, int]) -> bytes:
    """A composite glyph's outline with its parts' glyph numbers replaced; a simple one as it is."""
    places = list(_component_places(outline))
    if not places:
        return outline
    patched = bytearray(outline)
    for at, glyph in places:
        struct.pack_into(">H", patched, at, number[glyph])
    return bytes(patched)


@functools.cache
def typeface(style: str = "") -> Typeface:
    """The style ('', 'B', 'I', 'BI'), cut down and parsed; made once per process."""
    font = _cut_down(STYLES[style])
    order = font.getGlyphOrder()
    number = {name: index for index, name in enumerate(order)}
    head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
    outlines = _outlines(font, len(order))
    glyph_of = {chr(code): number[name] for code, name in font.getBestCmap().items()}
    advances = tuple(font["hmtx"][name][0] for name in order)
    direct = [[glyph for _, glyph in _component_places(outline)] for outline in outlines]
    return Typeface(
        postscript_name=str(font["name"].getDebugName(6) or "PTSerif").replace(" ", ""),
        units_per_em=head.unitsPerEm,
        ascent=hhea.ascent,
        descent=hhea.descent,
        cap_height=getattr(os2, "sCapHeight", 0) or hhea.ascent,
        italic_angle=float(font["post"].italicAngle),
        bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
        glyph_of=glyph_of,
        advances=advances,
        advance_of={character: advances[glyph] for character, glyph in glyph_of.items()},
        outlines=outlines,
        metrics=tuple(struct.pack(">Hh", *font["hmtx"][name]) for name in order),
        components=tuple(_closure(glyph, direct) for glyph in range(len(order))),
        tables=_shared_tables(font),
        widths=tuple(round(advance * 1000 / head.unitsPerEm) for advance in advances),
    )


@dataclass(frozen=True, slots=True)
class _Table:
    data: bytes
    checksum: int

    def __init__(self, data: bytes) -> None:
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "checksum", _checksum(data))


def _shared_tables(font: TTFont) -> dict[str, _Table]:
    tables = {tag: _Table(font.reader[tag]) for tag in _KEPT_TABLES if tag in font.reader}
    head = bytearray(font.reader["head"])
    head[50:52] = struct.pack(">h", 1)  # indexToLocFormat: 32-bit offsets
    return tables | {"head": _Table(bytes(head))}


def _cut_down(source: Path) -> TTFont:
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.name_IDs = [1, 2, 4, 6]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "DSIG", "gasp"]
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in _RANGES for c in range(low, high + 1)])
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return TTFont(io.BytesIO(buffer.getvalue()))  # read back: raw tables as saved, loca as offsets


def _outlines(font: TTFont, count: int) -> tuple[bytes, ...]:
    data, offsets = font.reader["glyf"], list(font["loca"])
    padded = []
    for glyph in range(count):
        outline = data[offsets[glyph] : offsets[glyph + 1]]
        padded.append(outline + b"\0" * (-len(outline) % 4))
    return tuple(padded)


def _component_places(outline: bytes) -> Iterator[tuple[int, int]]:
    """Where a composite outline names its parts: (offset of the glyph number, glyph number)."""
    if len(outline) < 10 or struct.unpack_from(">h", outline)[0] >= 0:
        return
    at = 10
    while True:
        flags, glyph = struct.unpack_from(">HH", outline, at)
        yield at + 2, glyph
        at += 4 + (4 if flags & _COMPOSITE_FLAGS["words"] else 2)
        if flags & _COMPOSITE_FLAGS["scale"]:
            at += 2
        elif flags & _COMPOSITE_FLAGS["xy_scale"]:
            at += 4
        elif flags & _COMPOSITE_FLAGS["two_by_two"]:
            at += 8
        if not flags & _COMPOSITE_FLAGS["more"]:
            return


def _closure(glyph: int, direct: list[list[int]]) -> frozenset[int]:
    found: set[int] = set()
    pending = list(direct[glyph])
    while pending:
        part = pending.pop()
        if part not in found:
            found.add(part)
            pending.extend(direct[part])
    return frozenset(found)


def _font_file(tables: dict[str, _Table]) -> bytes:
    """An sfnt file of `tables`: the directory (with checksums), then each table padded to 4 bytes."""
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(
        ">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1, (count - power) * 16
    )
    directory, body = bytearray(), bytearray()
    offset = 12 + 16 * count
    for tag in tags:
        table = tables[tag]
        where, size = offset + len(body), len(table.data)
        directory += struct.pack(">4sIII", tag.encode("latin-1"), table.checksum, where, size)
        body += table.data + b"\0" * (-size % 4)
    return header + bytes(directory) + bytes(body)


def _checksum(data: bytes) -> int:
    words = array("I", data + b"\0" * (-len(data) % 4))
    _big_endian(words)
    return sum(words) & 0xFFFFFFFF


def _big_endian(words: array[int]) -> None:
    """TrueType's numbers are big-endian; swap an array of 32-bit words to or from this machine's order."""
    if sys.byteorder == "little":
        words.byteswap()
