from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from kaleidoscope_shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """Configuration of the notifications service, from `NOTIFICATIONS_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    default_channel: str = "file"
    dispatch_interval_s: float = 0.05

    def messages_dir(self) -> str:
        return f"{self.data_dir}/messages"
