"""HMAC-SHA256 signatures in the Standard Webhooks scheme (https://www.standardwebhooks.com).

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the key is the base64 part of a
`whsec_…` secret; `webhook-signature` holds space-separated `v1,<base64>` signatures (several while a
secret is being rotated). Receivers reject a timestamp outside a tolerance window, which together with
the id defeats replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 5 * 60


class WebhookVerificationError(ValueError):
    """The request is not a genuine, fresh webhook from us."""


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise ValueError("a webhook secret must be 'whsec_' followed by base64") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of one request."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(secret: str, msg_id: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> str:
    """Check a received webhook; return its `webhook-id` or raise `WebhookVerificationError`.

    `headers` lookup is case-insensitive only if the mapping is (e.g. an HTTP framework's headers);
    lower-case keys are expected otherwise.
    """
    msg_id, timestamp_text, signatures = _required(headers)
    timestamp = _parse_timestamp(timestamp_text)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise WebhookVerificationError(
            f"timestamp {timestamp} is outside the {tolerance_seconds}s tolerance: replayed or clock skew"
        )
    expected = sign(secret, msg_id, timestamp, body)
    for candidate in signatures.split():
        if candidate.startswith("v1,") and hmac.compare_digest(candidate, expected):
            return msg_id
    raise WebhookVerificationError("no signature matches: the body or headers were altered")


def _required(headers: Mapping[str, str]) -> tuple[str, str, str]:
    values = [headers.get(name) for name in ("webhook-id", "webhook-timestamp", "webhook-signature")]
    if not all(values):
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    return values[0] or "", values[1] or "", values[2] or ""


def _parse_timestamp(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise WebhookVerificationError(f"webhook-timestamp {text!r} is not a Unix time") from None
