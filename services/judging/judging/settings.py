from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from kaleidoscope_shared.settings import ServiceSettings


class JudgingSettings(ServiceSettings):
    """Configuration of the judging service, from `JUDGING_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="JUDGING_", extra="ignore")

    service_name: str = "judging"
