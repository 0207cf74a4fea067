"""The composition root: the one place where the judging service's parts are put together."""

from __future__ import annotations

from kaleidoscope_shared.runtime import ServiceRuntime

from .adapters.tables import METADATA
from .settings import JudgingSettings


def bootstrap(settings: JudgingSettings | None = None) -> ServiceRuntime:
    return ServiceRuntime.build(settings or JudgingSettings(), METADATA)
