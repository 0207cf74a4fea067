"""What the tests of the CLI's printed lines check: each fits a terminal (at most WIDTH characters, but
for an address longer than that on a line of its own), and a Russian one holds nothing in English but
addresses, paths, a command or option, a project's own title («…»), an id, and the names of things
(Kaleidoscope, Redis, Ctrl-C, SIGTERM, PID, PDF)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from kaleidoscope_cli.words import WIDTH

NAMES_OF_THINGS = re.compile(
    r"https?://\S+|/\S+|`[^`]*`|«[^»]*»|--[a-z-]+|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"
    r"|\b(?:Kaleidoscope|Redis|Ctrl-C|SIGTERM|PID|PDF)\b"
)


def english_words(line: str, names: Iterable[str] = ()) -> list[str]:
    """The Latin words of `line` that are not names of things (nor one of `names`: identifiers)."""
    for name in sorted(names, key=len, reverse=True):
        line = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", "", line)
    return re.findall(r"[A-Za-z]{2,}", NAMES_OF_THINGS.sub("", line))


def too_long(lines: Iterable[str]) -> list[str]:
    """The lines wider than WIDTH, but for an address alone on its line (it cannot be cut)."""
    return [line for line in lines if len(line) > WIDTH and not re.fullmatch(r"\s*https?://\S+", line)]
