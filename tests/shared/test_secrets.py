"""Production refuses the development defaults, the shipped placeholders and predictable secrets."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from kaleidoscope_shared.secrets import entropy_bits, weak_secret_reason
from kaleidoscope_shared.settings import DEVELOPMENT_GRANT_KEY, ServiceSettings
from web.settings import WebSettings

GOOD = secrets.token_urlsafe(32)
PRODUCTION = {
    "service_name": "probe",
    "environment": "production",
    "database_url": "postgresql+asyncpg://probe:s3cret@db/probe",
    "organiser_token": secrets.token_urlsafe(32),
    "grant_key": secrets.token_urlsafe(32),
    "link_key": secrets.token_urlsafe(32),
}


@pytest.mark.parametrize(
    "weak",
    [
        "CHANGE-ME-to-a-random-secret-of-24-characters-or-more",
        "change_me_" + secrets.token_urlsafe(24),
        "a" * 64,
        "qwertyqwertyqwertyqwerty",
        "Zx9-Qw7!Zx9-Qw7!Zx9-Qw7!Zx",
        "TODO-put-the-real-token-here-later",
        "abababababababababababababababababababab",
        "short-but-random-Zx9",
        DEVELOPMENT_GRANT_KEY,
    ],
)
def test_a_placeholder_a_default_or_a_predictable_secret_is_refused(weak: str) -> None:
    assert weak_secret_reason(weak, min_length=24, known_public=(DEVELOPMENT_GRANT_KEY,)) is not None
    with pytest.raises(ValidationError, match="grant_key is refused in production"):
        ServiceSettings(**PRODUCTION | {"grant_key": weak})


@pytest.mark.parametrize(
    ("drawn", "min_length"),
    [
        ("cee19169c46ccce1c22ce0ce", 24),  # secrets.token_hex(12): an estimate of 64 bits
        ("c663a6663646f46b61363363", 24),  # secrets.token_hex(12): 54 bits
        ("NPd4V-9vp4JffWmg0D_Tw8dHtOdoFa0VW2oM7gPH6o4", 32),  # secrets.token_urlsafe(32), "todo" inside
    ],
)
def test_random_secrets_that_earlier_rules_refused_are_accepted(drawn: str, min_length: int) -> None:
    assert weak_secret_reason(drawn, min_length=min_length) is None


def test_generated_secrets_are_accepted() -> None:
    # The estimate must not refuse a real random secret now and then: with the earlier threshold (64
    # bits) and the short marks matched anywhere, about one draw in 20,000 was refused.
    refused = [
        (value, reason)
        for _ in range(10_000)
        for value, min_length in (
            (secrets.token_urlsafe(32), 32),
            (secrets.token_hex(16), 32),
            (secrets.token_hex(12), 24),
        )
        if (reason := weak_secret_reason(value, min_length=min_length)) is not None
    ]
    assert refused == []
    assert ServiceSettings(**PRODUCTION).environment == "production"
    assert entropy_bits(GOOD) > 150


def test_a_connection_url_with_the_placeholder_password_is_refused() -> None:
    with pytest.raises(ValidationError, match="CHANGE-ME placeholder"):
        ServiceSettings(**PRODUCTION | {"database_url": "postgresql+asyncpg://probe:CHANGE-ME@db/probe"})


def test_the_web_fronts_session_secret_is_held_to_the_same_rule() -> None:
    with pytest.raises(ValidationError, match="WEB_SESSION_SECRET is refused"):
        WebSettings(environment="production", session_secret="CHANGE-ME-session-secret-of-32-characters")
    assert WebSettings(environment="production", session_secret=GOOD).environment == "production"


def test_development_keeps_its_defaults() -> None:
    assert ServiceSettings(service_name="probe").grant_key.get_secret_value() == DEVELOPMENT_GRANT_KEY
