"""Verification codes: a short, typeable HMAC of a document's fields.

The code printed on a diploma is `HMAC-SHA256(key, canonical fields)`, truncated to 80 bits and written
in base32 as four groups of four (`K7QD-2MXA-…`). Anyone holding the code can ask the public endpoint,
which loads the stored fields and calls `verify_code`: a forged or altered diploma does not match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from .model import DocumentFields

_CODE_BYTES = 10  # 80 bits: 16 base32 characters, no padding
# Characters people confuse with base32 ones when typing a printed code.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def verification_code(fields: DocumentFields, key: bytes) -> str:
    if len(key) < 16:
        raise ValueError("the document signing key must be at least 16 bytes")
    digest = hmac.new(key, fields.canonical(), hashlib.sha256).digest()[:_CODE_BYTES]
    raw = base64.b32encode(digest).decode()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_code(code: str) -> str:
    """Upper-case, without separators, with look-alike digits mapped: what a user typed, comparable."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned.translate(_LOOKALIKES)


def verify_code(fields: DocumentFields, code: str, keys: bytes | Sequence[bytes]) -> bool:
    """True when `code` was issued for exactly these fields under one of `keys` (several while a key
    is being rotated). Pure: no database, no clock."""
    candidates = [keys] if isinstance(keys, bytes) else list(keys)
    typed = normalise_code(code)
    return any(
        hmac.compare_digest(typed, normalise_code(verification_code(fields, key))) for key in candidates
    )
