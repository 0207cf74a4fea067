"""The composition root: the one place where the submissions service's parts are put together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from kaleidoscope_shared.db import is_postgresql
from kaleidoscope_shared.runtime import ServiceRuntime

from .adapters.client_address import trusted_networks
from .adapters.storage import LocalDiskStorage
from .adapters.tables import METADATA
from .adapters.unit_of_work import sql_unit_of_work
from .adapters.upload_rate import RedisUploadRate
from .domain.clock import Clock, SystemClock
from .service_layer.context import SubmissionsContext, UploadLimits
from .settings import SubmissionsSettings


@dataclass(frozen=True)
class Submissions:
    """The runtime (engine, Redis, outbox) and the use cases' context built over it."""

    settings: SubmissionsSettings
    runtime: ServiceRuntime
    context: SubmissionsContext


def bootstrap(settings: SubmissionsSettings | None = None, *, clock: Clock | None = None) -> Submissions:
    settings = settings or SubmissionsSettings()
    trusted_networks(settings.trusted_proxies)  # a mistyped address fails at start, not on an upload
    runtime = ServiceRuntime.build(settings, METADATA)
    storage_root = Path(settings.attachments_dir or Path(settings.data_dir) / "attachments")
    context = SubmissionsContext(
        unit_of_work=sql_unit_of_work(
            runtime.sessions,
            runtime.outbox,
            one_at_a_time=not is_postgresql(runtime.engine),
            link_key=settings.link_key.get_secret_value(),
        ),
        clock=clock or SystemClock(),
        storage=LocalDiskStorage(storage_root),
        public_base_url=settings.public_base_url,
        grant_key=settings.grant_key.get_secret_value(),
        default_time_zone=settings.default_time_zone,
        uploads=UploadLimits(
            files_per_client=settings.pending_uploads_per_client,
            bytes_per_client=settings.pending_upload_bytes_per_client,
            files_per_contest=settings.pending_uploads_per_contest,
            bytes_per_contest=settings.pending_upload_bytes_per_contest,
            grace_period=timedelta(seconds=settings.upload_grace_period_s),
        ),
        upload_rate=RedisUploadRate(
            runtime.redis,
            namespace=settings.bus_namespace,
            limit=settings.upload_rate_limit,
            window_s=settings.upload_rate_window_s,
        ),
    )
    return Submissions(settings=settings, runtime=runtime, context=context)
