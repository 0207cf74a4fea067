"""What routes depend on: the service's parts, and the organiser check (`async def`, so that FastAPI
does not hop to its thread pool for a lookup)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kaleidoscope_shared.http.auth import require_organiser, requires_organiser

from ...bootstrap import Notifications


async def get_service(request: Request) -> Notifications:
    service: Notifications = request.app.state.notifications
    return service


ServiceDep = Annotated[Notifications, Depends(get_service)]


@requires_organiser
async def organiser(request: Request, service: ServiceDep) -> None:
    """401 without a token, 403 with another (counted by the throttle); made before the body is read."""
    require_organiser(request, service.settings.organiser_token.get_secret_value())


ORGANISER_ONLY = [Depends(organiser)]
