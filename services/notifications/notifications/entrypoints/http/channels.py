"""Which channels are installed, enabled and working in this deployment."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ...channels import available_channel_names
from .deps import ORGANISER_ONLY, ServiceDep

router = APIRouter(tags=["channels"], dependencies=ORGANISER_ONLY)


class ChannelFailure(BaseModel):
    name: str
    entry_point: str
    error: str


class ChannelsReport(BaseModel):
    installed: list[str]
    enabled: list[str]
    loaded: list[str]
    failures: list[ChannelFailure]


@router.get("/channels", response_model=ChannelsReport)
async def list_channels(service: ServiceDep) -> ChannelsReport:
    """Installed channels (entry-point group `kaleidoscope.channels`), the enabled ones, and any that
    failed to load, with the plugin's name and error; the others keep working."""
    loaded = service.load_channels()
    try:
        return ChannelsReport(
            installed=available_channel_names(),
            enabled=service.settings.channels_to_load(),
            loaded=sorted(loaded.channels),
            failures=[
                ChannelFailure(name=f.name, entry_point=f.entry_point, error=f.error) for f in loaded.failures
            ],
        )
    finally:
        for channel in loaded.channels.values():
            await channel.aclose()
