"""The pieces every service process is built from, opened and closed in one place.

A service's `bootstrap()` builds a `ServiceRuntime` from its settings and metadata; the API's lifespan
and the worker both open it, and tests build it with their own settings. Nothing is created at import.
Building one switches tracing on when the settings (or the standard OTEL_* variables) name an OTLP
endpoint, and then instruments its engine and Redis client (`observability/tracing.py`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from .bus.nudge import OutboxNudge, nudge_channel
from .bus.outbox import Outbox
from .bus.redis import connect
from .bus.tables import BusTables, bus_tables
from .db import SessionFactory, create_engine, create_tables, session_factory
from .observability import tracing
from .settings import ServiceSettings


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    metadata: MetaData
    engine: AsyncEngine
    sessions: SessionFactory
    redis: Redis
    tables: BusTables
    outbox: Outbox
    events_applied: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by this process's consumer whenever it commits newly applied events: a background loop that
    acts on what the handlers recorded waits on it (with its own poll as the timeout) and clears it."""

    @classmethod
    def build(cls, settings: ServiceSettings, metadata: MetaData) -> ServiceRuntime:
        tracing.configure_tracing(settings.service_name, settings.otlp_endpoint, settings.trace_sample_ratio)
        tables = bus_tables(metadata)
        engine = create_engine(settings.database_url)
        redis = connect(settings.redis_url, block_ms=settings.consumer_block_ms)
        tracing.instrument_engine(engine)
        tracing.instrument_redis(redis)
        nudge = (
            OutboxNudge(redis, nudge_channel(settings.bus_namespace, settings.service_name))
            if settings.relay_nudge
            else None
        )
        return cls(
            settings=settings,
            metadata=metadata,
            engine=engine,
            sessions=session_factory(engine),
            redis=redis,
            tables=tables,
            outbox=Outbox(
                tables, producer=settings.service_name, namespace=settings.bus_namespace, nudge=nudge
            ),
        )

    async def open(self) -> None:
        if self.settings.create_tables:
            with tracing.quiet():
                await create_tables(self.engine, self.metadata)

    async def close(self) -> None:
        if self.outbox.nudge is not None:
            await self.outbox.nudge.flush()
        await self.redis.aclose()
        await self.engine.dispose()
        tracing.flush()

    async def database_answers(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def redis_answers(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except Exception:
            return False
