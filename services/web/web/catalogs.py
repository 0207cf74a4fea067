"""Catalog upkeep for `make messages`: English is the source language, so its catalog's entries are
the source strings themselves (a string left empty would count as untranslated)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def fill_source_language(path: Path) -> int:
    """Give every empty entry of the English catalog its own source text; how many were filled."""
    with path.open("rb") as file:
        catalog = read_po(file)
    catalog.fuzzy = False
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not any(message.string or ()):
                message.string = tuple(message.id)
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
    with path.open("wb") as file:
        write_po(file, catalog, sort_output=True, no_location=True)
    return filled


if __name__ == "__main__":
    if sys.argv[1:2] == ["fill-source-language"]:
        print(f"{fill_source_language(Path(sys.argv[2]))} English entries filled from their source")
