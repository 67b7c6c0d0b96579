"""What the storage watch (bot.storage_health) asks of the file: a small write, and free space."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from storage.clock import to_db
from storage.database import Database

__all__ = ["free_bytes", "write_probe"]


async def write_probe(database: Database, now: datetime) -> None:
    """Rewrites the probe row in its own write transaction; raises StorageFault if refused."""
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO storage_probe (id, at) VALUES (1, ?)"
                         " ON CONFLICT (id) DO UPDATE SET at = excluded.at", (to_db(now),))


def free_bytes(database_path: Path) -> int | None:
    """Free bytes on the file system holding the database (None for an in-memory one)."""
    if str(database_path) == ":memory:":
        return None
    return shutil.disk_usage(database_path.resolve().parent).free
