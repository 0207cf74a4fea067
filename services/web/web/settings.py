"""The web front's settings, read from `WEB_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kaleidoscope_shared.secrets import weak_secret_reason

DEVELOPMENT_SESSION_SECRET = "web-session-secret-for-development-only"


class WebSettings(BaseSettings):
    """Where the three APIs answer (inside the deployment: the web front calls them directly), and
    how the visitor's session cookie is signed."""

    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    submissions_url: str = "http://127.0.0.1:8001"
    judging_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    session_secret: SecretStr = SecretStr(DEVELOPMENT_SESSION_SECRET)
    # The site is served over https: the session cookie is sent over https only and every answer
    # carries Strict-Transport-Security. On by default in production (behind TLS).
    secure_cookies: bool | None = None
    session_max_age_s: int = 60 * 24 * 3600
    api_timeout_s: float = 30.0
    # deadlines are shown in the contest's time zone; a contest that names none is shown in this one
    display_time_zone: str = "Asia/Novokuznetsk"
    # Proxies in front of the web front (the gateway, the Ingress): only from one of them is
    # X-Forwarded-For read, and the visitor is the nearest address in it that is not one of them (the one
    # the gateway appended), never what a visitor writes in the header themselves.
    trusted_proxies: list[str] = ["127.0.0.0/8", "::1/128"]
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    # Traces, as the services' (`KALEIDOSCOPE_OTLP_ENDPOINT`): a page's calls to the APIs carry its
    # trace, so a submission is one trace from the browser's request to the notification it causes.
    otlp_endpoint: str = ""
    trace_sample_ratio: float = Field(0.1, ge=0, le=1)  # as the services' (kaleidoscope_shared.settings)

    @model_validator(mode="after")
    def _production_secrets(self) -> WebSettings:
        if self.environment != "production":
            return self
        reason = weak_secret_reason(
            self.session_secret.get_secret_value(), min_length=32, known_public=(DEVELOPMENT_SESSION_SECRET,)
        )
        if reason:
            raise ValueError(
                f"web: WEB_SESSION_SECRET is refused in production: {reason}. Set a random secret of at "
                "least 32 characters."
            )
        return self

    def served_over_https(self) -> bool:
        return self.environment == "production" if self.secure_cookies is None else self.secure_cookies

    def cookies_https_only(self) -> bool:
        return self.served_over_https()
