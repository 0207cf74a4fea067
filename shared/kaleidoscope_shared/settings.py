"""The settings every service process shares; each service subclasses with its own env prefix."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .contracts import DEFAULT_NAMESPACE
from .secrets import placeholder_in_url, weak_secret_reason

DEVELOPMENT_ORGANISER_TOKEN = "organiser-dev-token"
DEVELOPMENT_GRANT_KEY = "grant-key-for-development-only"
DEVELOPMENT_LINK_KEY = "link-key-for-development-only"


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
    max_deliveries: int = Field(5, ge=1, description="handler failures before an event is dead-lettered")
    max_crashes: int = Field(
        30, ge=1, description="deliveries ending with no outcome (consumer killed) before dead letters"
    )
    consumer_measure_interval_s: float = Field(
        5.0, ge=0, description="how often a consumer sets its pending and lag gauges (0: every reclaim round)"
    )
    forget_consumers_after_s: float = Field(
        3600.0, gt=0, description="a consumer gone this long with nothing pending leaves its group"
    )

    relay_batch_size: int = Field(200, ge=1, le=5000)
    relay_nudge: bool = Field(
        True,
        description="wake the relays when a transaction commits outbox rows (a Redis PUBLISH after the "
        "commit); off, the relays find rows only by polling",
    )
    relay_poll_interval_s: float = Field(
        2.0,
        gt=0,
        description="how often a relay looks for unsent outbox rows when nothing woke it: the safety net "
        "behind the nudge (the longest a row waits when its nudge is lost); without the nudge, the delay "
        "of every event",
    )
    relay_lease_s: float = Field(10.0, gt=0)
    outbox_retention_s: float = Field(3600.0, ge=0)
    stream_retention_s: float = Field(
        7 * 86400.0,
        ge=0,
        description="the producer's relay trims its streams to what some consumer group still needs, but "
        "never entries younger than this: a group created within it (a service deployed later) reads "
        "every event from the start",
    )
    inbox_retention_s: float = Field(
        7 * 86400.0,
        gt=0,
        description="how long a consumer's inbox keeps an applied event's id to drop its redeliveries; "
        "longer than outbox_retention_s (a relay's replay after Redis lost data)",
    )
    redis_check_interval_s: float = Field(
        0.5, gt=0, description="how often a relay checks whether Redis restarted or came back empty"
    )
    redis_replay_window_s: float = Field(
        30.0,
        gt=0,
        description="after a Redis restart that kept its data, what the relay re-publishes: events sent "
        "this long before the restart was last seen not to have happened (covers the AOF fsync interval)",
    )

    shutdown_timeout_s: float = Field(
        20.0, gt=0, le=300, description="how long a stopping API or worker may finish what it started"
    )

    max_body_bytes: int = Field(
        1024 * 1024,
        gt=0,
        description="the largest request body an API reads (413 past it); upload routes declare their own",
    )

    auth_throttle: bool = Field(
        True, description="count failed authentications in Redis and answer 429 to a client past the limits"
    )
    auth_failures_per_minute: int = Field(
        20, ge=1, description="failed authentications from one client address in a minute before 429"
    )
    auth_failures_per_prefix_per_minute: int = Field(
        30,
        ge=1,
        description="failed authentications with one token prefix (any address) in a minute before 429",
    )
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"],
        description="addresses or networks (JSON list) whose X-Forwarded-For names the client: the gateway "
        "and the web front",
    )

    organiser_token: SecretStr = SecretStr(DEVELOPMENT_ORGANISER_TOKEN)
    grant_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_GRANT_KEY),
        description="signs grants between services (kaleidoscope_shared.grants); the same secret in all",
    )
    link_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_LINK_KEY),
        description="seals private and personal links on their way between services "
        "(kaleidoscope_shared.sealing); the same secret in submissions, judging and notifications",
    )

    metrics_port: int = Field(0, ge=0, le=65535, description="worker's /metrics port; 0 = none")
    otlp_endpoint: str = Field(
        "",
        description="OTLP/HTTP base URL of a trace collector (http://collector:4318; spans go to its "
        "/v1/traces). Empty: tracing is on only if OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) "
        "is set, else off at no cost; OTEL_SDK_DISABLED=true keeps it off",
    )
    trace_sample_ratio: float = Field(
        0.1,
        ge=0,
        le=1,
        description="share of new traces sampled (one in ten by default: a trace not sampled costs next "
        "to nothing, a sampled one a span per statement); a sampled caller's trace is always kept; 1.0 "
        "traces everything",
    )
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network.strip(), strict=False)
            except ValueError as error:
                raise ValueError(f"trusted_proxies: {network!r} is not an address or network") from error
        return [network.strip() for network in value]

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir}/{self.service_name}.db"
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            raise ValueError(
                f"{self.service_name}: SQLite is for development; set a PostgreSQL database_url in production"
            )
        if self.environment == "production":
            self._refuse_weak_secrets()
        if self.inbox_retention_s <= self.outbox_retention_s:
            raise ValueError(
                f"{self.service_name}: inbox_retention_s ({self.inbox_retention_s:g}) must be longer than "
                f"outbox_retention_s ({self.outbox_retention_s:g}): a relay's replay after Redis lost data "
                "would otherwise apply events again"
            )
        return self

    def _refuse_weak_secrets(self) -> None:
        name = self.service_name
        if placeholder_in_url(self.database_url) or placeholder_in_url(self.redis_url):
            raise ValueError(f"{name}: the database or Redis URL still holds a CHANGE-ME placeholder")
        checks = (
            ("organiser_token", self.organiser_token, 24, DEVELOPMENT_ORGANISER_TOKEN, ""),
            ("grant_key", self.grant_key, 32, DEVELOPMENT_GRANT_KEY, ", the same in every service"),
            ("link_key", self.link_key, 32, DEVELOPMENT_LINK_KEY, ", the same in every service"),
        )
        for field, secret, length, public, note in checks:
            reason = weak_secret_reason(secret.get_secret_value(), min_length=length, known_public=(public,))
            if reason:
                raise ValueError(
                    f"{name}: {field} is refused in production: {reason}. Set a random secret of at least "
                    f"{length} characters{note}."
                )

    def consumer_name(self) -> str:
        """One consumer name per replica: `<service>-<hostname>-<pid>`."""
        return f"{self.service_name}-{socket.gethostname()}-{os.getpid()}"
