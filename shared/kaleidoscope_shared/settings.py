"""The settings every service process shares; each service subclasses with its own env prefix."""

from __future__ import annotations

import os
import socket
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .contracts import DEFAULT_NAMESPACE

DEVELOPMENT_ORGANISER_TOKEN = "organiser-dev-token"
DEVELOPMENT_GRANT_KEY = "grant-key-for-development-only"


class ServiceSettings(BaseSettings):
    """Typed configuration of one service process, read from `<SERVICE>_*` environment variables.

    Subclasses set `model_config = SettingsConfigDict(env_prefix="SUBMISSIONS_")` and `service_name`.
    """

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = ""
    redis_url: str = "redis://127.0.0.1:6379/0"
    bus_namespace: str = DEFAULT_NAMESPACE
    data_dir: str = "data"
    create_tables: bool = True

    consumer_batch_size: int = Field(100, ge=1, le=1000)
    consumer_block_ms: int = Field(1000, ge=10)
    reclaim_idle_ms: int = Field(15_000, ge=10)
    reclaim_interval_s: float = Field(2.0, gt=0)
    max_deliveries: int = Field(5, ge=1)

    relay_batch_size: int = Field(200, ge=1, le=5000)
    relay_poll_interval_s: float = Field(0.01, gt=0)
    relay_lease_s: float = Field(10.0, gt=0)
    outbox_retention_s: float = Field(3600.0, ge=0)

    shutdown_timeout_s: float = Field(
        20.0, gt=0, le=300, description="how long a stopping API or worker may finish what it started"
    )

    organiser_token: SecretStr = SecretStr(DEVELOPMENT_ORGANISER_TOKEN)
    grant_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_GRANT_KEY),
        description="signs grants between services (kaleidoscope_shared.grants); the same secret in all",
    )

    metrics_port: int = Field(0, ge=0, le=65535, description="worker's /metrics port; 0 = none")
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir}/{self.service_name}.db"
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            raise ValueError(
                f"{self.service_name}: SQLite is for development; set a PostgreSQL database_url in production"
            )
        if self.environment == "production" and (
            self.organiser_token.get_secret_value() == DEVELOPMENT_ORGANISER_TOKEN
            or len(self.organiser_token.get_secret_value()) < 24
        ):
            raise ValueError(
                f"{self.service_name}: set a random organiser_token of at least 24 characters in production "
                "(the development default is public)"
            )
        if self.environment == "production" and (
            self.grant_key.get_secret_value() == DEVELOPMENT_GRANT_KEY
            or len(self.grant_key.get_secret_value()) < 32
        ):
            raise ValueError(
                f"{self.service_name}: set a random grant_key of at least 32 characters in production, "
                "the same in every service (the development default is public)"
            )
        return self

    def consumer_name(self) -> str:
        """One consumer name per replica: `<service>-<hostname>-<pid>`."""
        return f"{self.service_name}-{socket.gethostname()}-{os.getpid()}"
