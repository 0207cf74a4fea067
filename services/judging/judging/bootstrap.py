"""The composition root: the one place where the judging service's parts are put together."""

from __future__ import annotations

from kaleidoscope_shared.runtime import ServiceRuntime

from .adapters.tables import METADATA
from .adapters.unit_of_work import sql_unit_of_work
from .service_layer.ports import UnitOfWorkFactory
from .settings import JudgingSettings


def bootstrap(settings: JudgingSettings | None = None) -> ServiceRuntime:
    return ServiceRuntime.build(settings or JudgingSettings(), METADATA)


def unit_of_work(runtime: ServiceRuntime) -> UnitOfWorkFactory:
    """The unit of work the use cases on ports run in, over the runtime's database."""
    return sql_unit_of_work(runtime.sessions)
