"""Private links in messages: what a stored message holds in their place, and what the organiser sees.

Participants' private links and jurors' sign-in links reach this service sealed
(`kaleidoscope_shared.sealing`) and stay sealed in its tables. A template is given the sealed value
wrapped as `[[sealed:v1:…]]`: the rendered message that is stored holds that in the link's place, and
only the dispatcher, when it hands the message to a channel, opens it into the link (`reveal`).
Whoever reads a stored message through the API sees `[private link]` instead (`masked`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

HIDDEN_LINK = "[private link]"
"""What the API shows where a message carries a private or personal link."""

_IN_MESSAGE = re.compile(r"\[\[(sealed:v1:[A-Za-z0-9_-]+)\]\]")


def in_message(link: str | None) -> str | None:
    """What a template is given for a link: a sealed one wrapped so that it can be found in the
    rendered text; anything else (no link; a test's plain link) as it is."""
    if link and link.startswith("sealed:v1:"):
        return f"[[{link}]]"
    return link


def masked(text: str) -> str:
    """`text` with every sealed link in it shown as `[private link]`."""
    return _IN_MESSAGE.sub(HIDDEN_LINK, text)


def reveal(text: str, unseal: Callable[[str], str]) -> str:
    """`text` with every sealed link in it opened by `unseal` (which raises for a wrong key)."""
    return _IN_MESSAGE.sub(lambda match: unseal(match.group(1)), text)
