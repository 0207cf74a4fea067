"""The composition root: the one place where the notifications service's parts are put together."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from kaleidoscope_shared.db import is_postgresql
from kaleidoscope_shared.runtime import ServiceRuntime

from .adapters.document_store import DocumentFiles
from .adapters.tables import METADATA
from .channels import Channel, LoadedChannels, load_channels
from .service_layer.dispatch import Dispatcher
from .service_layer.fanout import FanOutConfig
from .service_layer.messages import MessageBuilder
from .settings import NotificationsSettings
from .templates import TemplateCatalogue


@dataclass
class Notifications:
    """Everything both processes share: the runtime, the settings and the checked templates."""

    runtime: ServiceRuntime
    settings: NotificationsSettings
    catalogue: TemplateCatalogue

    @property
    def signing_key(self) -> bytes:
        return self.settings.document_signing_key.get_secret_value().encode()

    def fan_out_config(self) -> FanOutConfig:
        s = self.settings
        return FanOutConfig(
            catalogue=self.catalogue,
            signing_key=self.signing_key,
            default_channels=tuple(s.default_channels),
            timezone=s.timezone,
            city=s.document_city,
            link_key=s.link_key.get_secret_value(),
        )

    def load_channels(self) -> LoadedChannels:
        """Every enabled channel; a broken one is reported (by name) and the others still load."""
        return load_channels(self.settings.channel_configs(), enabled=self.settings.channels_to_load())

    def document_files(self, executor: Executor | None = None) -> DocumentFiles:
        s = self.settings
        return DocumentFiles(s.documents_dir(), self.signing_key, s.verify_url(), executor)

    def document_executor(self) -> Executor | None:
        """Processes drawing PDFs (CPU-bound), or None to draw them in a thread of the worker."""
        if not self.settings.document_workers:
            return None
        spawn = multiprocessing.get_context("spawn")  # never fork a process running an event loop
        return ProcessPoolExecutor(self.settings.document_workers, mp_context=spawn)

    def dispatcher(self, channels: dict[str, Channel], executor: Executor | None = None) -> Dispatcher:
        s = self.settings
        return Dispatcher(
            sessions=self.runtime.sessions,
            outbox=self.runtime.outbox,
            channels=channels,
            messages=MessageBuilder(
                self.runtime.sessions, self.document_files(executor), s.link_key.get_secret_value()
            ),
            name=s.consumer_name(),
            policy=s.retry_policy(),
            batch_size=s.dispatch_batch_size,
            lease=timedelta(seconds=s.dispatch_lease_s),
            concurrency=s.dispatch_concurrency,
            skip_locked=is_postgresql(self.runtime.engine),
        )


def bootstrap(
    settings: NotificationsSettings | None = None, *, catalogue: TemplateCatalogue | None = None
) -> Notifications:
    """Build the service from its settings; refuses to start when a template is broken."""
    settings = settings or NotificationsSettings()
    catalogue = catalogue or TemplateCatalogue.load(settings.templates_folder, timezone=settings.timezone)
    return Notifications(ServiceRuntime.build(settings, METADATA), settings, catalogue)
