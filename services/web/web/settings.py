"""The web front's settings, read from `WEB_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    # the session cookie is sent over https only; on by default in production (behind TLS)
    secure_cookies: bool | None = None
    session_max_age_s: int = 60 * 24 * 3600
    api_timeout_s: float = 30.0
    # deadlines are shown in the contest's time zone; a contest that names none is shown in this one
    display_time_zone: str = "Asia/Novokuznetsk"
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    @model_validator(mode="after")
    def _production_secrets(self) -> WebSettings:
        secret = self.session_secret.get_secret_value()
        if self.environment == "production" and (secret == DEVELOPMENT_SESSION_SECRET or len(secret) < 32):
            raise ValueError(
                "web: set WEB_SESSION_SECRET to a random secret of at least 32 characters in production "
                "(the development default is public)"
            )
        return self

    def cookies_https_only(self) -> bool:
        return self.environment == "production" if self.secure_cookies is None else self.secure_cookies
