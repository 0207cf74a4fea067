"""The pieces every service process is built from, opened and closed in one place.

A service's `bootstrap()` builds a `ServiceRuntime` from its settings and metadata; the API's lifespan
and the worker both open it, and tests build it with their own settings. Nothing is created at import.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from .bus.outbox import Outbox
from .bus.redis import connect
from .bus.tables import BusTables, bus_tables
from .db import SessionFactory, create_engine, create_tables, session_factory
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

    @classmethod
    def build(cls, settings: ServiceSettings, metadata: MetaData) -> ServiceRuntime:
        tables = bus_tables(metadata)
        engine = create_engine(settings.database_url)
        return cls(
            settings=settings,
            metadata=metadata,
            engine=engine,
            sessions=session_factory(engine),
            redis=connect(settings.redis_url, block_ms=settings.consumer_block_ms),
            tables=tables,
            outbox=Outbox(tables, producer=settings.service_name, namespace=settings.bus_namespace),
        )

    async def open(self) -> None:
        if self.settings.create_tables:
            await create_tables(self.engine, self.metadata)

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()

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
