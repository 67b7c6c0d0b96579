"""Two small helpers every storage module uses inside a transaction: one row, or all rows."""

from __future__ import annotations

from typing import Any

import aiosqlite

__all__ = ["Connection", "fetch_all", "fetch_one"]

Connection = aiosqlite.Connection


async def fetch_one(connection: Connection, sql: str, parameters: Any = ()) -> Any:
    """The first row of a query run on this connection (inside its transaction), or None."""
    async with connection.execute(sql, parameters) as cursor:
        return await cursor.fetchone()


async def fetch_all(connection: Connection, sql: str, parameters: Any = ()) -> list[Any]:
    """Every row of a query run on this connection (inside its transaction)."""
    async with connection.execute(sql, parameters) as cursor:
        return list(await cursor.fetchall())
