"""The private entry token: high entropy, stored only as a SHA-256, compared in constant time."""

from __future__ import annotations

import hashlib

import pytest

from submissions.domain import new_entry_token, submit_entry, token_matches, verify_entry_token
from submissions.domain.errors import EntryNotFound

from .conftest import make_content


def test_tokens_carry_at_least_256_bits_and_never_repeat() -> None:
    tokens = {new_entry_token().plaintext for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) >= 43 for t in tokens)  # 32 random bytes in URL-safe base64


def test_the_stored_digest_is_the_sha256_of_the_token() -> None:
    token = new_entry_token()
    assert token.sha256 == hashlib.sha256(token.plaintext.encode()).hexdigest()
    assert token_matches(token.plaintext, token.sha256)
    assert not token_matches(token.plaintext[:-1], token.sha256)


def test_the_right_token_opens_the_entry_and_a_wrong_one_looks_like_no_entry(contest, clock) -> None:
    result = submit_entry(contest, make_content(), existing=[], clock=clock)
    assert verify_entry_token(result.entry, result.token.plaintext) == result.entry
    with pytest.raises(EntryNotFound) as err:
        verify_entry_token(result.entry, new_entry_token().plaintext)
    assert err.value.status == 404
    with pytest.raises(EntryNotFound):
        verify_entry_token(None, result.token.plaintext)
