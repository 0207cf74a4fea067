"""The composition root: the one place where the notifications service's parts are put together."""

from __future__ import annotations

from kaleidoscope_shared.runtime import ServiceRuntime

from .adapters.tables import METADATA
from .settings import NotificationsSettings


def bootstrap(settings: NotificationsSettings | None = None) -> ServiceRuntime:
    return ServiceRuntime.build(settings or NotificationsSettings(), METADATA)
