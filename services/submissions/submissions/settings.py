from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from kaleidoscope_shared.settings import ServiceSettings

from .domain.contest import DEFAULT_TIME_ZONE, check_time_zone


class SubmissionsSettings(ServiceSettings):
    """Configuration of the submissions service, from `SUBMISSIONS_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SUBMISSIONS_", extra="ignore")

    service_name: str = "submissions"
    public_base_url: str = "http://127.0.0.1:8000"
    """Where people reach the web front: the start of every private entry link
    (`{public_base_url}/entries/{id}?token=…`, a page of the web front, which calls this API)."""
    attachments_dir: str = ""
    """Where attachments are stored on disk; `<data_dir>/attachments` by default."""
    max_request_bytes: int = Field(100 * 1024 * 1024, gt=0)
    """The most any request body to /contests/ or /entries/ may carry; each contest's own attachment
    limit is enforced within it."""
    deadline_check_interval_s: float = Field(1.0, gt=0)
    """How often the worker's scheduler looks for contests whose deadline has come."""
    default_time_zone: str = DEFAULT_TIME_ZONE
    """The time zone (an IANA name) of a contest created without one."""

    @field_validator("default_time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        return check_time_zone(value.strip())

    # Anonymous uploads: a file is uploaded before the entry that lists it, by anyone, while the window
    # is open. Until an entry lists it, it is "pending": these bound what pending files may hold, and
    # the worker deletes those no entry lists after `upload_grace_period_s`. A client is its address as
    # `trusted_proxies` (ServiceSettings) lets it be read behind the gateway and the web front.
    pending_uploads_per_client: int = Field(20, ge=1)
    """How many pending files one client address may have in a contest (429 past it)."""
    pending_upload_bytes_per_client: int = Field(200 * 1024 * 1024, ge=1)
    """How many bytes of pending files one client address may have in a contest (429 past it)."""
    pending_uploads_per_contest: int = Field(2000, ge=1)
    """How many pending files a contest may hold from everyone together (409 past it)."""
    pending_upload_bytes_per_contest: int = Field(10 * 1024 * 1024 * 1024, ge=1)
    """How many bytes of pending files a contest may hold from everyone together (409 past it)."""
    upload_rate_limit: int = Field(30, ge=1)
    """How many uploads one client address may start in `upload_rate_window_s` (429 with Retry-After
    past it); counted in Redis, so every replica of the API shares the count."""
    upload_rate_window_s: int = Field(60, ge=1)
    upload_grace_period_s: float = Field(24 * 3600.0, gt=0)
    """How long a file no entry lists is kept (from its upload, or from the edit that dropped it)."""
    upload_sweep_interval_s: float = Field(300.0, gt=0)
    """How often the worker deletes the files no entry has listed for `upload_grace_period_s`."""
