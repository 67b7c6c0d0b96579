"""When a transport's service (the signal-cli daemon) was down, and whether leaders were told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db, to_db
from storage.database import Database
from storage.sql import fetch_one

__all__ = ["Outage", "OutageStore"]


@dataclass(frozen=True, slots=True)
class Outage:
    id: int
    transport: str
    since: datetime
    reason: str
    noticed_at: datetime | None
    ended_at: datetime | None


def _outage(row) -> Outage:
    return Outage(row["id"], row["transport"], from_db(row["since"]), row["reason"],
                  from_db(row["noticed_at"]), from_db(row["ended_at"]))


class OutageStore:
    """Opens, reads and ends outages; at most one is open per transport."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def begin(self, transport: str, reason: str, now: datetime) -> Outage:
        """The open outage of a transport, started now if there was none."""
        async with self.db.transaction() as connection:
            row = await fetch_one(
                connection, "SELECT * FROM transport_outages WHERE transport = ?"
                            " AND ended_at IS NULL", (transport,))
            if row is None:
                row = await fetch_one(
                    connection, "INSERT INTO transport_outages (transport, since, reason)"
                                " VALUES (?, ?, ?) RETURNING *", (transport, to_db(now), reason))
        return _outage(row)

    async def noticed(self, outage_id: int, now: datetime) -> bool:
        """Marks that leaders were told; False if someone already did."""
        async with self.db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE transport_outages SET noticed_at = ? WHERE id = ? AND noticed_at IS NULL",
                (to_db(now), outage_id))
            return cursor.rowcount > 0

    async def end(self, transport: str, now: datetime) -> Outage | None:
        """Ends the open outage of a transport; returns it (None if there was none)."""
        async with self.db.transaction() as connection:
            row = await fetch_one(
                connection, "UPDATE transport_outages SET ended_at = ? WHERE transport = ?"
                            " AND ended_at IS NULL RETURNING *", (to_db(now), transport))
        return _outage(row) if row else None

    async def current(self) -> list[Outage]:
        """Every outage still going on."""
        rows = await self.db.fetch_all(
            "SELECT * FROM transport_outages WHERE ended_at IS NULL ORDER BY since")
        return [_outage(row) for row in rows]
