"""Small SQL helpers the use cases share."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.ext.asyncio import AsyncSession


async def rows_changed(session: AsyncSession, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed (a conditional UPDATE's claim)."""
    result = cast(CursorResult[Any], await session.execute(statement))
    return int(result.rowcount or 0)
