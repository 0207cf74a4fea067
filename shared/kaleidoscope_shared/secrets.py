"""What production refuses as a secret: the development defaults, the placeholders shipped in
`deploy/` and anything a person would type instead of generating it.

A secret is accepted when it is long enough and carries enough entropy, estimated from the
distribution of its own characters (Shannon entropy times length): `secrets.token_urlsafe(32)`
carries about 200 bits; "CHANGE-ME-…", "aaaa…" or "password123password123" are refused whatever
their length. Generate one with `python -c "import secrets; print(secrets.token_urlsafe(32))"`.
"""

from __future__ import annotations

import math
import re
from collections import Counter

MIN_ENTROPY_BITS = 48.0
"""Well below what a random secret of the shortest accepted kind shows: the estimate for 24 random hex
characters (`secrets.token_hex(12)`, `openssl rand -hex 12`) was never below 55 bits in 1,000,000 draws,
while a threshold of 64 refused about one in 20,000 of them and 56 one in 300,000. What it is for is a
secret made of few characters ("abcabc…" is 38 bits); a repeated pattern is refused on its own."""

# Words that mark a value as a placeholder or a demonstration, not a secret. The short ones only as words
# of their own: a random URL-safe secret holds "todo" or "xxxx" now and then (about 1 in 25,000).
PLACEHOLDER_MARKS = re.compile(
    r"change[-_ ]?me|changeit|replace[-_ ]?me|placeholder|example|for[-_ ]development|development[-_ ]only"
    r"|dev[-_]token|secret[-_]of[-_]\d+|password|(?<![a-z0-9])(?:xxxx|todo)(?![a-z0-9])",
    re.IGNORECASE,
)


def entropy_bits(value: str) -> float:
    """The Shannon entropy of `value`'s characters times its length: a rough ceiling on its strength."""
    if not value:
        return 0.0
    counts = Counter(value)
    per_char = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_char * len(value)


def repeated_unit(value: str) -> str | None:
    """The shortest piece that `value` repeats end to end ("qwerty" in "qwertyqwertyqw"), if any."""
    for period in range(1, len(value) // 2 + 1):
        if all(value[i] == value[i - period] for i in range(period, len(value))):
            return value[:period]
    return None


def weak_secret_reason(value: str, *, min_length: int, known_public: tuple[str, ...] = ()) -> str | None:
    """Why `value` is not a production secret, or None if it is acceptable."""
    if value in known_public:
        return "it is the public development default"
    if PLACEHOLDER_MARKS.search(value):
        return "it is a placeholder (it contains a word such as CHANGE-ME, example or password)"
    if len(value) < min_length:
        return f"it is shorter than {min_length} characters"
    if (unit := repeated_unit(value)) is not None:
        return f"it repeats {len(unit)} characters over and over: generate it instead"
    if entropy_bits(value) < MIN_ENTROPY_BITS:
        return (
            f"it is too predictable (about {max(entropy_bits(value), 0.0):.0f} bits; at least {MIN_ENTROPY_BITS:.0f} "
            'needed): generate it, e.g. python -c "import secrets; print(secrets.token_urlsafe(32))"'
        )
    return None


def placeholder_in_url(url: str) -> bool:
    """Whether a connection URL still holds a shipped placeholder (e.g. its password is CHANGE-ME)."""
    return bool(re.search(r"change[-_ ]?me", url, re.IGNORECASE))
