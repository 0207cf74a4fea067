"""The private entry token: the participant's only key to their entry, stored only as a hash.

The token has 256 bits of entropy, so a plain SHA-256 (rather than a slow password hash) is enough:
it can't be brute-forced, and a leaked database gives no usable links.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class EntryToken:
    """A fresh token: `plaintext` goes into the private link once and is never stored."""

    plaintext: str
    sha256: str

    def __repr__(self) -> str:
        return f"EntryToken(sha256={self.sha256!r})"


def new_entry_token() -> EntryToken:
    plaintext = secrets.token_urlsafe(TOKEN_BYTES)
    return EntryToken(plaintext=plaintext, sha256=hash_entry_token(plaintext))


def hash_entry_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def token_matches(plaintext: str, stored_sha256: str) -> bool:
    """Whether `plaintext` is the token whose hash was stored; constant time in the hash comparison."""
    return hmac.compare_digest(hash_entry_token(plaintext), stored_sha256)
