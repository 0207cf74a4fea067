"""What routes are given: the three APIs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..adapters.api import Services


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]
