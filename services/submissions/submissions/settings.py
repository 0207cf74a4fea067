from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kaleidoscope_shared.settings import ServiceSettings


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
