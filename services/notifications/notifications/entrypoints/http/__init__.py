"""HTTP routes of the notifications service, one module per resource."""

from __future__ import annotations

from fastapi import FastAPI

from ...bootstrap import Notifications
from . import channels, deliveries, documents, preferences, templates


def install_routes(app: FastAPI, service: Notifications) -> None:
    app.state.notifications = service
    for router in (
        deliveries.router,
        preferences.router,
        templates.router,
        documents.public,
        documents.organiser,
        channels.router,
    ):
        app.include_router(router)
