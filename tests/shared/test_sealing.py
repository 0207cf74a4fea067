"""Sealing links between services: what was sealed opens with the same key only, never wrongly."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest
from pydantic import ValidationError

from kaleidoscope_shared.sealing import PREFIX, SealBroken, is_sealed, seal, unseal
from kaleidoscope_shared.settings import DEVELOPMENT_LINK_KEY, ServiceSettings

KEY = secrets.token_urlsafe(32)
LINK = "https://contest.example.org/entries/0b7f6a52-1d5e-4f3a-9c1b-2a4d6e8f0a1b?token=Zm9vYmFyYmF6"


def test_a_sealed_link_opens_with_its_key_and_shows_nothing_of_itself() -> None:
    sealed = seal(LINK, KEY)
    assert sealed.startswith(PREFIX) and is_sealed(sealed)
    assert "Zm9vYmFyYmF6" not in sealed and "contest.example.org" not in sealed
    assert unseal(sealed, KEY) == LINK
    assert seal(LINK, KEY) != sealed  # a fresh nonce each time
    assert unseal(seal("Ошибка ✓", KEY), KEY) == "Ошибка ✓"


def test_another_key_does_not_open_it() -> None:
    with pytest.raises(SealBroken, match="another key"):
        unseal(seal(LINK, KEY), secrets.token_urlsafe(32))


@pytest.mark.parametrize("where", [0, 5, 20, -1])
def test_a_changed_byte_anywhere_is_refused(where: int) -> None:
    sealed = seal(LINK, KEY)
    body = bytearray(base64.urlsafe_b64decode(sealed[len(PREFIX) :] + "=" * (-len(sealed) % 4)))
    body[where] ^= 0x01
    tampered = PREFIX + base64.urlsafe_b64encode(bytes(body)).decode().rstrip("=")
    with pytest.raises(SealBroken):
        unseal(tampered, KEY)


@pytest.mark.parametrize(
    "value", [LINK, "sealed:v1:", "sealed:v1:!!!!", "sealed:v1:AAAA", None, ""], ids=lambda v: repr(v)[:20]
)
def test_what_was_never_sealed_or_was_cut_is_refused(value: str | None) -> None:
    if value is None or value == "":
        assert not is_sealed(value)
        return
    with pytest.raises(SealBroken):
        unseal(value, KEY)
    cut = seal(LINK, KEY)[:-4]
    with pytest.raises(SealBroken):
        unseal(cut, KEY)


PRODUCTION: dict[str, Any] = {
    "service_name": "probe",
    "environment": "production",
    "database_url": "postgresql+asyncpg://probe:s3cret@db/probe",
    "organiser_token": secrets.token_urlsafe(32),
    "grant_key": secrets.token_urlsafe(32),
}


@pytest.mark.parametrize(
    "weak",
    [DEVELOPMENT_LINK_KEY, "CHANGE-ME-link-key-a-random-secret-of-32-characters-or-more", "short", "a" * 40],
)
def test_production_refuses_a_default_placeholder_or_weak_link_key(weak: str) -> None:
    with pytest.raises(ValidationError, match="link_key is refused in production"):
        ServiceSettings(**PRODUCTION | {"link_key": weak})
    with pytest.raises(ValidationError, match="link_key is refused in production"):
        ServiceSettings(**PRODUCTION)  # the development default
    assert ServiceSettings(**PRODUCTION | {"link_key": KEY}).link_key.get_secret_value() == KEY


def test_development_uses_the_public_default() -> None:
    assert ServiceSettings(service_name="probe").link_key.get_secret_value() == DEVELOPMENT_LINK_KEY
