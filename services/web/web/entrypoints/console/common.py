"""What every page of a contest in the console needs: the contest as the organiser sees it, and the time
zone its moments are typed and shown in."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request

from ...adapters.api import Services
from .access import Organiser


async def contest_of(services: Services, organiser: Organiser, contest_id: uuid.UUID) -> dict[str, Any]:
    """The contest as submissions gives it to the organiser (the sections nav needs it)."""
    contest: dict[str, Any] = await services.submissions.get(f"/contests/{contest_id}", **organiser.call())
    return contest


def known_zone(name: object) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def contest_zone(request: Request, contest: dict[str, Any]) -> str:
    """The contest's time zone, as submissions stores it; the site's display zone for a contest without
    one this machine knows."""
    named = contest.get("time_zone")
    return str(named) if known_zone(named) else str(request.app.state.settings.display_time_zone)
