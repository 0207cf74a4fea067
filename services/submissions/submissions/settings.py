from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from kaleidoscope_shared.settings import ServiceSettings


class SubmissionsSettings(ServiceSettings):
    """Configuration of the submissions service, from `SUBMISSIONS_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SUBMISSIONS_", extra="ignore")

    service_name: str = "submissions"
    public_base_url: str = "http://127.0.0.1:8001"
