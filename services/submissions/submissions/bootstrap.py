"""The composition root: the one place where the submissions service's parts are put together."""

from __future__ import annotations

from kaleidoscope_shared.runtime import ServiceRuntime

from .adapters.tables import METADATA
from .settings import SubmissionsSettings


def bootstrap(settings: SubmissionsSettings | None = None) -> ServiceRuntime:
    return ServiceRuntime.build(settings or SubmissionsSettings(), METADATA)
