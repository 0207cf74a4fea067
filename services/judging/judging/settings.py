from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kaleidoscope_shared.settings import ServiceSettings

DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


class JudgingSettings(ServiceSettings):
    """Configuration of the judging service, from `JUDGING_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="JUDGING_", extra="ignore")

    service_name: str = "judging"
    reminder_lead_hours: float = Field(24.0, gt=0, description="remind jurors this long before a deadline")
    reminder_interval_s: float = Field(30.0, gt=0)
    scoreboard_poll_s: float = Field(0.5, gt=0, description="how often the live scoreboard looks for changes")
    public_base_url: str = Field(
        DEFAULT_PUBLIC_BASE_URL,
        description="the web front's address, as jurors reach it: their personal links start with it",
    )
