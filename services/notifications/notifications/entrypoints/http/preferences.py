"""Per-recipient preferences: which channels to use, in which language, at which addresses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kaleidoscope_shared.http.problems import ProblemError

from ...adapters.tables import PreferenceRow
from ...channels import available_channel_names
from ...channels.webhook import TargetPolicy, UnsafeWebhookTarget, validate_webhook_url
from .deps import ORGANISER_ONLY, ServiceDep

router = APIRouter(tags=["preferences"], dependencies=ORGANISER_ONLY)


class PreferencesBody(BaseModel):
    """`channels` in the order to use them; `addresses` per channel (a webhook URL, a chat id) — a
    channel without one is addressed by the person's e-mail."""

    model_config = ConfigDict(extra="forbid")

    channels: list[str] = Field(min_length=1)
    language: Literal["ru", "en"] | None = None
    addresses: dict[str, str] = {}


class PreferencesPublic(PreferencesBody):
    recipient: str
    stored: bool


@router.get("/recipients/{recipient}/preferences", response_model=PreferencesPublic)
async def get_preferences(recipient: str, service: ServiceDep) -> PreferencesPublic:
    """A recipient's preferences (their e-mail is the key); the service's defaults when none are stored."""
    key = recipient.strip().lower()
    async with service.runtime.sessions() as session:
        row = await session.get(PreferenceRow, key)
    if row is None:
        return PreferencesPublic(recipient=key, stored=False, channels=service.settings.default_channels)
    return PreferencesPublic(
        recipient=key,
        stored=True,
        channels=row.channels,
        language=row.language,
        addresses=row.addresses,
    )


@router.put("/recipients/{recipient}/preferences", response_model=PreferencesPublic)
async def put_preferences(recipient: str, body: PreferencesBody, service: ServiceDep) -> PreferencesPublic:
    """Set how a recipient hears from us. A channel must be installed; a webhook URL must be public
    (private, loopback and link-local targets are refused unless allowed by configuration)."""
    _check_channels(body.channels + list(body.addresses))
    if "webhook" in body.addresses:
        await _check_webhook(body.addresses["webhook"], service)
    key = recipient.strip().lower()
    async with service.runtime.sessions() as session, session.begin():
        row = await session.get(PreferenceRow, key) or PreferenceRow(
            person_key=key, updated_at=datetime.now(UTC)
        )
        row.channels, row.language, row.addresses = body.channels, body.language, body.addresses
        row.updated_at = datetime.now(UTC)
        session.add(row)
    return PreferencesPublic(recipient=key, stored=True, **body.model_dump())


def _check_channels(names: list[str]) -> None:
    installed = available_channel_names()
    unknown = sorted(set(names) - set(installed))
    if unknown:
        raise ProblemError(
            422,
            "Unknown channel",
            f"No installed channel is called {', '.join(unknown)}; installed: {', '.join(installed)}.",
            unknown=unknown,
        )


async def _check_webhook(url: str, service: ServiceDep) -> None:
    s = service.settings
    policy = TargetPolicy.from_config(s.webhook_allowed_networks, allow_http=s.webhook_allow_http)
    try:
        await validate_webhook_url(url, policy)
    except UnsafeWebhookTarget as error:
        raise ProblemError(422, "Webhook target refused", str(error)) from error
