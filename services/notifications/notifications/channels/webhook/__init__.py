"""Signed webhooks (Standard Webhooks scheme) with protection against server-side request forgery."""

from .channel import WebhookChannel, WebhookSettings
from .signing import (
    WebhookVerificationError,
    generate_secret,
    sign,
    signature_headers,
    verify,
)
from .targets import TargetPolicy, UnsafeWebhookTarget, validate_webhook_url

__all__ = [
    "TargetPolicy",
    "UnsafeWebhookTarget",
    "WebhookChannel",
    "WebhookSettings",
    "WebhookVerificationError",
    "generate_secret",
    "sign",
    "signature_headers",
    "validate_webhook_url",
    "verify",
]
