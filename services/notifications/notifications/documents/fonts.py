"""The typeface of every document: PT Serif, made by ParaType for Russian, shipped on PyPI inside the
`fontpkg-pt-serif` package, so documents look the same on every machine whatever fonts it has.

Each PDF embeds a subset of the glyphs it uses, and fpdf2 parses and subsets the whole font file for
every document. Starting from a font already cut down to the scripts documents are written in (Latin,
Cyrillic, punctuation) makes that work smaller: documents are drawn by the ten thousand at a contest's
end. The cut-down files are made once per process, in a temporary folder.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import fontpkg_pt_serif
from fontTools import subset

FAMILY = "PTSerif"
_FILES = Path(fontpkg_pt_serif.ROOT) / "files"
STYLES: dict[str, Path] = {
    "": _FILES / "PT_Serif-Web-Regular.ttf",
    "B": _FILES / "PT_Serif-Web-Bold.ttf",
    "I": _FILES / "PT_Serif-Web-Italic.ttf",
    "BI": _FILES / "PT_Serif-Web-BoldItalic.ttf",
}
USED_STYLES = ("", "B", "I")  # what pdf.py draws with; an unused registered font is still embedded

# Latin-1 and Latin Extended-A, Cyrillic and its supplement, general punctuation, №, ₽.
_RANGES = [(0x20, 0x7E), (0xA0, 0x17F), (0x400, 0x52F), (0x2010, 0x205E), (0x2116, 0x2116), (0x20BD, 0x20BD)]


@functools.cache
def document_fonts() -> dict[str, Path]:
    """The styles documents use, each cut down to the scripts documents are written in."""
    folder = Path(tempfile.mkdtemp(prefix="kaleidoscope-fonts-"))
    return {style: _cut_down(STYLES[style], folder) for style in USED_STYLES}


def _cut_down(source: Path, folder: Path) -> Path:
    options = subset.Options()
    options.layout_features = ["kern", "liga"]
    options.notdef_outline = True
    options.recommended_glyphs = True
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in _RANGES for c in range(low, high + 1)])
    subsetter.subset(font)
    target = folder / source.name
    subset.save_font(font, str(target), options)
    return target
