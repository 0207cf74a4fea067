"""What routes are given: the three APIs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..adapters.api import Services, visitor_address


async def get_services(request: Request) -> Services:
    """The APIs, which are told, with each call made for this request, the visitor's address."""
    visitor_address.set(request.client.host if request.client else None)
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
