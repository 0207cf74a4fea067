"""The composition root: the one place where the submissions service's parts are put together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kaleidoscope_shared.db import is_postgresql
from kaleidoscope_shared.runtime import ServiceRuntime

from .adapters.storage import LocalDiskStorage
from .adapters.tables import METADATA
from .adapters.unit_of_work import sql_unit_of_work
from .domain.clock import Clock, SystemClock
from .service_layer.context import SubmissionsContext
from .settings import SubmissionsSettings


@dataclass(frozen=True)
class Submissions:
    """The runtime (engine, Redis, outbox) and the use cases' context built over it."""

    settings: SubmissionsSettings
    runtime: ServiceRuntime
    context: SubmissionsContext


def bootstrap(settings: SubmissionsSettings | None = None, *, clock: Clock | None = None) -> Submissions:
    settings = settings or SubmissionsSettings()
    runtime = ServiceRuntime.build(settings, METADATA)
    storage_root = Path(settings.attachments_dir or Path(settings.data_dir) / "attachments")
    context = SubmissionsContext(
        unit_of_work=sql_unit_of_work(
            runtime.sessions, runtime.outbox, one_at_a_time=not is_postgresql(runtime.engine)
        ),
        clock=clock or SystemClock(),
        storage=LocalDiskStorage(storage_root),
        public_base_url=settings.public_base_url,
        grant_key=settings.grant_key.get_secret_value(),
    )
    return Submissions(settings=settings, runtime=runtime, context=context)
