"""Sealing a secret text (a participant's private link, a juror's sign-in link) for its trip between
services: only a holder of the link key reads it back.

`seal(text, key)` encrypts with AES-256-GCM under a key derived from the configured secret (HKDF-SHA256
with a fixed context, so the same secret used for anything else yields an unrelated key), with a random
96-bit nonce: `sealed:v1:` + base64url(nonce + ciphertext + tag), without padding. The same text sealed
twice gives two different values. `unseal` raises `SealBroken` for a wrong key, a changed or truncated
value, or a value that was never sealed; it never returns a wrong text.

The link key is the `link_key` setting, one secret shared by submissions, judging and notifications
(`KALEIDOSCOPE_LINK_KEY` in compose).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "sealed:v1:"
NONCE_BYTES = 12
TAG_BYTES = 16
_CONTEXT = b"kaleidoscope link sealing v1"
SEALED = re.compile(re.escape(PREFIX) + r"[A-Za-z0-9_-]+")
"""A sealed value inside a longer text (base64url has no padding here, so it ends at the first other
character)."""


class SealBroken(ValueError):
    """A sealed value that does not open with this key: another key sealed it, it was changed, or it
    is not a sealed value at all."""


def seal(text: str, key: str) -> str:
    """`text` encrypted and authenticated under `key`: `sealed:v1:<base64url>`."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(_derived(key)).encrypt(nonce, text.encode("utf-8"), PREFIX.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + ciphertext).decode("ascii").rstrip("=")


def unseal(sealed: str, key: str) -> str:
    """The text `seal(text, key)` sealed; `SealBroken` if it was sealed with another key or changed."""
    if not is_sealed(sealed):
        raise SealBroken(f"not a sealed value (it does not start with {PREFIX!r})")
    body = sealed[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as error:
        raise SealBroken("the sealed value is not valid base64url") from error
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise SealBroken("the sealed value is too short: it was cut")
    try:
        plain = AESGCM(_derived(key)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], PREFIX.encode())
    except InvalidTag as error:
        raise SealBroken(
            "the sealed value does not open with this link key: it was sealed with another key (is "
            "link_key the same in every service?) or it was changed"
        ) from error
    return plain.decode("utf-8")


def is_sealed(text: str | None) -> bool:
    """Whether `text` is a sealed value (by its form; only `unseal` proves it opens)."""
    return bool(text) and str(text).startswith(PREFIX)


@lru_cache(maxsize=8)
def _derived(key: str) -> bytes:
    if not key:
        raise SealBroken("the link key is empty")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTEXT).derive(key.encode("utf-8"))


__all__ = ["PREFIX", "SEALED", "SealBroken", "is_sealed", "seal", "unseal"]
