"""The typeface of every document: PT Serif, made by ParaType for Russian, shipped on PyPI inside the
`fontpkg-pt-serif` package, so documents look the same on every machine whatever fonts it has."""

from __future__ import annotations

from pathlib import Path

import fontpkg_pt_serif

FAMILY = "PTSerif"
_FILES = Path(fontpkg_pt_serif.ROOT) / "files"
STYLES: dict[str, Path] = {
    "": _FILES / "PT_Serif-Web-Regular.ttf",
    "B": _FILES / "PT_Serif-Web-Bold.ttf",
    "I": _FILES / "PT_Serif-Web-Italic.ttf",
    "BI": _FILES / "PT_Serif-Web-BoldItalic.ttf",
}
