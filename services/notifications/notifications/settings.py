"""Configuration of the notifications service: channels, templates, documents, retries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from kaleidoscope_shared.secrets import weak_secret_reason
from kaleidoscope_shared.settings import ServiceSettings

from .domain import RetryPolicy

DEVELOPMENT_DOCUMENT_KEY = "kaleidoscope-development-document-key"


class NotificationsSettings(ServiceSettings):
    """Configuration of the notifications service, from `NOTIFICATIONS_*` environment variables.

    Lists and mappings are given as JSON, e.g. `NOTIFICATIONS_ENABLED_CHANNELS='["email","file"]'`.
    """

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    public_base_url: str = "http://127.0.0.1:8000"
    """The web front's address: documents print `{public_base_url}/verify/{code}`, its verification
    page (which asks this service's `GET /documents/verify/{code}`)."""

    # Channels: which to load, which a recipient without preferences gets, and each one's settings.
    enabled_channels: list[str] = ["file", "console", "email", "webhook"]
    default_channels: list[str] = ["file"]
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "plain"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "noreply@kaleidoscope.local"
    smtp_sender_name: str = "Kaleidoscope"
    webhook_secret: SecretStr | None = None
    webhook_url: str | None = None
    webhook_allowed_networks: list[str] = []
    webhook_allow_http: bool = False
    file_folder: str | None = Field(None, description="the file channel's folder; data_dir/messages if unset")
    channel_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="settings of third-party channels, by channel name"
    )

    # Messages and documents.
    templates_folder: Path | None = None
    timezone: str = "Asia/Novokuznetsk"
    document_signing_key: SecretStr = SecretStr(DEVELOPMENT_DOCUMENT_KEY)
    document_city: str = ""

    # Sending.
    dispatch_interval_s: float = Field(
        1.0,
        gt=0,
        description="how often the dispatcher looks for due deliveries (retries, other processes' rows); "
        "after this worker applies events it looks at once",
    )
    dispatch_batch_size: int = Field(100, ge=1, le=1000)
    dispatch_lease_s: float = Field(60.0, gt=0)
    dispatch_concurrency: int = Field(8, ge=1)
    document_workers: int = Field(
        0, ge=0, description="processes drawing PDFs; 0 = a thread of the worker draws them"
    )
    retry_max_attempts: int = Field(8, ge=1)
    retry_base_delay_s: float = Field(30.0, ge=0)
    retry_max_delay_s: float = Field(7200.0, ge=0)

    @model_validator(mode="after")
    def _refuse_unsafe_secrets(self) -> NotificationsSettings:
        if self.environment != "production":
            return self
        key = self.document_signing_key.get_secret_value()
        reason = weak_secret_reason(key, min_length=32, known_public=(DEVELOPMENT_DOCUMENT_KEY,))
        if reason:
            raise ValueError(
                f"notifications: document_signing_key is refused in production: {reason}. Set a random "
                "secret of at least 32 characters (with a known key anyone could forge a diploma)."
            )
        if "webhook" in self.enabled_channels and self.webhook_secret is None:
            raise ValueError("notifications: the webhook channel is enabled but webhook_secret is not set")
        return self

    def messages_dir(self) -> str:
        return self.file_folder or f"{self.data_dir}/messages"

    def documents_dir(self) -> Path:
        return Path(self.data_dir) / "documents"

    def verify_url(self) -> str:
        """The address printed on every document, `{code}` to be filled in: the web front's page."""
        return self.public_base_url.rstrip("/") + "/verify/{code}"

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.retry_max_attempts,
            base_delay=timedelta(seconds=self.retry_base_delay_s),
            max_delay=timedelta(seconds=self.retry_max_delay_s),
        )

    def channel_configs(self) -> dict[str, dict[str, Any]]:
        """Each channel's configuration, as its factory expects it."""
        configs: dict[str, dict[str, Any]] = {
            "email": {
                "host": self.smtp_host,
                "port": self.smtp_port,
                "security": self.smtp_security,
                "username": self.smtp_username,
                "password": self.smtp_password.get_secret_value() if self.smtp_password else None,
                "sender": self.smtp_sender,
                "sender_name": self.smtp_sender_name,
            },
            "file": {
                "path": self.messages_dir(),
                "sender": self.smtp_sender,
                "sender_name": self.smtp_sender_name,
            },
            "console": {},
        }
        if self.webhook_secret is not None:
            configs["webhook"] = {
                "secret": self.webhook_secret.get_secret_value(),
                "url": self.webhook_url,
                "allowed_networks": tuple(self.webhook_allowed_networks),
                "allow_http": self.webhook_allow_http,
            }
        return configs | self.channel_options

    def channels_to_load(self) -> list[str]:
        """Enabled channels, less the webhook when it has no secret (it cannot sign without one)."""
        return [c for c in self.enabled_channels if c != "webhook" or self.webhook_secret is not None]
