"""The typefaces of documents: PT Serif, made by ParaType for Russian, shipped on PyPI inside the
`fontpkg-pt-serif` package, so documents look the same on every machine whatever fonts it has; and
Noto Serif (`fontpkg-noto-serif`), drawn only for the characters PT Serif lacks (Greek, ș, ə, ĳ…).
A character neither has is never drawn as an empty box: `unsupported` names it, and the document is
refused with `UnsupportedCharacters`.

Documents are drawn by the ten thousand at a contest's end, so the font work is done once per process:
each style is cut down to the scripts documents are written in (Latin, Cyrillic, punctuation; no
hinting or layout tables, which a PDF viewer does not use) and parsed into a `Typeface` that measures
text and hands out glyph outlines. A `subset` of it (the glyphs a text needs, numbered anew) is then
built by slicing and joining glyph records, without parsing or re-encoding the font again.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import sys
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import fontpkg_noto_serif
import fontpkg_pt_serif
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

_FILES = Path(fontpkg_pt_serif.ROOT) / "files"
STYLES: dict[str, Path] = {
    "": _FILES / "PT_Serif-Web-Regular.ttf",
    "B": _FILES / "PT_Serif-Web-Bold.ttf",
    "I": _FILES / "PT_Serif-Web-Italic.ttf",
    "BI": _FILES / "PT_Serif-Web-BoldItalic.ttf",
}
_NOTO = Path(fontpkg_noto_serif.ROOT) / "files"
FALLBACK_STYLES: dict[str, tuple[Path, int]] = {
    "": (_NOTO / "NotoSerif[wdth,wght].ttf", 400),
    "B": (_NOTO / "NotoSerif[wdth,wght].ttf", 700),
    "I": (_NOTO / "NotoSerif-Italic[wdth,wght].ttf", 400),
    "BI": (_NOTO / "NotoSerif-Italic[wdth,wght].ttf", 700),
}

# The scripts a name or a title is written in: Latin with its extensions (Latin-1, Extended-A and B,
# IPA's ə, Extended Additional), Greek, Cyrillic with its supplement and extensions, general
# punctuation, №, ₽. Whatever of these PT Serif lacks comes from Noto Serif.
_RANGES = [
    (0x20, 0x7E),
    (0xA0, 0x2FF),
    (0x370, 0x3FF),
    (0x400, 0x52F),
    (0x1E00, 0x1FFF),
    (0x2010, 0x205E),
    (0x20A0, 0x20C0),
    (0x2116, 0x2116),
    (0x2DE0, 0x2DFF),
    (0xA640, 0xA69F),
]
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

    style: str
    """'', 'B', 'I' or 'BI'."""
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

    def covers(self, text: str) -> bool:
        return self.glyph_of.keys() >= set(text)

    def width(self, text: str, size: float) -> float:
        """The advance of `text` at `size` (in the unit `size` is given in), as `runs` draws it."""
        units = self.measured.get(text)
        if units is None:
            if self.covers(text):
                units = self.units(text)
            else:
                scale = self.units_per_em
                units = sum([round(f.units(t) * scale / f.units_per_em) for f, t in self.runs(text)])
            if len(self.measured) < 100_000:  # words and lines repeat from document to document
                self.measured[text] = units
        return units * size / self.units_per_em

    def units(self, text: str) -> int:
        """The advance of `text` drawn in this face alone, in font units."""
        get, missing = self.advance_of.get, self.advances[0]
        return sum([get(character, missing) for character in text])

    def runs(self, text: str) -> list[tuple[Typeface, str]]:
        """`text` cut into runs each drawn in one face: this one, or the fallback for a word with a
        character this one lacks (the whole word, so that its letters match)."""
        if self.covers(text):
            return [(self, text)]
        other = fallback(self.style)
        result: list[tuple[Typeface, str]] = []
        for word in re.split(r"( )", text):
            if self.covers(word) or not other.covers(word):
                pieces = [(self if c in self.glyph_of or c not in other.glyph_of else other, c) for c in word]
            else:
                pieces = [(other, word)]
            for face, piece in pieces:
                if result and result[-1][0] is face:
                    result[-1] = (face, result[-1][1] + piece)
                elif piece:
                    result.append((face, piece))
        return result

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


class UnsupportedCharacters(ValueError):
    """A document holds characters no embedded font can draw: it is refused rather than printed with
    empty boxes. Permanent: sending it again would not help."""


def unsupported(text: str) -> str:
    """The characters of `text` (in order, once each) that neither PT Serif nor Noto Serif can draw;
    control characters such as a line break are not drawn and not counted."""
    primary = typeface("").glyph_of
    missing = [c for c in dict.fromkeys(text) if c not in primary and c.isprintable() and c != " "]
    if not missing:
        return ""
    others = fallback_characters()
    return "".join(c for c in missing if c not in others)


def describe(characters: str) -> str:
    """'ㅎ' (U+314E), '中' (U+4E2D): characters as a person and a programmer read them."""
    return ", ".join(f"'{c}' (U+{ord(c):04X})" for c in characters)


@functools.cache
def fallback_characters() -> frozenset[str]:
    """Every character the fallback font has (read from its character map, without instancing it)."""
    font = TTFont(FALLBACK_STYLES[""][0], lazy=True)
    has = font.getBestCmap()
    return frozenset(chr(c) for low, high in _RANGES for c in range(low, high + 1) if c in has)


@functools.cache
def typeface(style: str = "") -> Typeface:
    """The style ('', 'B', 'I', 'BI'), cut down and parsed; made once per process."""
    wanted = [c for low, high in _RANGES for c in range(low, high + 1)]
    return _parsed(style, _cut_down(TTFont(STYLES[style]), wanted))


@functools.cache
def fallback(style: str = "") -> Typeface:
    """Noto Serif in the style: its variable font cut down to the documents' scripts, then a static
    instance of it at the style's weight (a second or two); made once per process, the first time a
    document needs a character PT Serif lacks."""
    path, weight = FALLBACK_STYLES[style]
    wanted = [ord(c) for c in fallback_characters()]
    variable = _cut_down(TTFont(path), wanted, reload=False)
    static = instancer.instantiateVariableFont(variable, {"wght": weight, "wdth": 100})
    return _parsed(style, _reloaded(static), f"NotoSerif-{_STYLE_NAMES[style]}")


_STYLE_NAMES = {"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"}


def _parsed(style: str, font: TTFont, name: str = "") -> Typeface:
    order = font.getGlyphOrder()
    number = {name: index for index, name in enumerate(order)}
    head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
    outlines = _outlines(font, len(order))
    glyph_of = {chr(code): number[name] for code, name in font.getBestCmap().items()}
    advances = tuple(font["hmtx"][name][0] for name in order)
    direct = [[glyph for _, glyph in _component_places(outline)] for outline in outlines]
    return Typeface(
        style=style,
        postscript_name=name or str(font["name"].getDebugName(6) or "PTSerif").replace(" ", ""),
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


def _cut_down(font: TTFont, unicodes: list[int], *, reload: bool = True) -> TTFont:
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.name_IDs = [1, 2, 4, 6]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "DSIG", "gasp"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    return _reloaded(font, options) if reload else font


def _reloaded(font: TTFont, options: subset.Options | None = None) -> TTFont:
    """`font` saved and read back: its raw tables as saved, `loca` as offsets."""
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options or subset.Options())
    return TTFont(io.BytesIO(buffer.getvalue()))


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
