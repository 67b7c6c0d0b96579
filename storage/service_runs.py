"""The bot's own runs and the figures an operator watches: the lease a standby reads before it
takes over, the previous run a restart reports on, and the counts behind /metrics and /healthz.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.clock import from_db, to_db
from storage.database import Database

__all__ = ["QueueFigures", "ServiceRun", "ServiceRuns", "read_latest_run", "read_schema_version"]


@dataclass(frozen=True, slots=True)
class ServiceRun:
    """One start of the bot, as its row says."""

    id: int
    instance: str
    version: str
    host: str
    started_at: datetime
    alive_at: datetime
    stopped_at: datetime | None

    @property
    def last_seen(self) -> datetime:
        """When this run was last known to be alive (its clean stop, else its last lease)."""
        return self.stopped_at or self.alive_at

    @classmethod
    def from_row(cls, row) -> ServiceRun:
        return cls(row["id"], row["instance"], row["version"], row["host"],
                   from_db(row["started_at"]), from_db(row["alive_at"]),
                   from_db(row["stopped_at"]))


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """What is owed and what is running, read in one go for a restart notice or /metrics."""

    callouts_by_state: dict[str, int]  # 'open' and 'staffed': call-outs still running
    outbox_by_lane: dict[int, int]  # messages pending or being sent, per lane
    oldest_unsent_at: datetime | None
    deadlines_overdue: int

    @property
    def running_callouts(self) -> int:
        return sum(self.callouts_by_state.values())

    @property
    def unsent(self) -> int:
        return sum(self.outbox_by_lane.values())


class ServiceRuns:
    """Reads and writes `service_runs`, and the counts an operator watches."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def latest(self) -> ServiceRun | None:
        """The newest run recorded (the one running now, once `begin` was called)."""
        row = await self.db.fetch_one("SELECT * FROM service_runs ORDER BY id DESC LIMIT 1")
        return ServiceRun.from_row(row) if row else None

    async def begin(self, instance: str, version: str, host: str,
                    now: datetime) -> ServiceRun | None:
        """Records this start; returns the run before it (None on the very first start)."""
        async with self.db.transaction() as connection:
            async with connection.execute(
                    "SELECT * FROM service_runs ORDER BY id DESC LIMIT 1") as cursor:
                previous = await cursor.fetchone()
            await connection.execute(
                "INSERT INTO service_runs (instance, version, host, started_at, alive_at)"
                " VALUES (?, ?, ?, ?, ?)", (instance, version, host, to_db(now), to_db(now)))
        return ServiceRun.from_row(previous) if previous else None

    async def touch(self, instance: str, now: datetime) -> None:
        """Refreshes this run's lease: a committed write, so it also proves the file writable."""
        async with self.db.transaction() as connection:
            await connection.execute("UPDATE service_runs SET alive_at = ? WHERE instance = ?",
                                     (to_db(now), instance))

    async def end(self, instance: str, now: datetime) -> None:
        """Marks this run as stopped cleanly."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE service_runs SET alive_at = ?, stopped_at = ? WHERE instance = ?",
                (to_db(now), to_db(now), instance))

    async def figures(self, now: datetime, overdue_after: datetime) -> QueueFigures:
        """Running call-outs by state, unsent messages, the oldest of them, overdue deadlines.

        A deadline counts as overdue when it is still pending and was due before
        `overdue_after` (the caller leaves a little slack for one that is firing right now).
        """
        callouts = {row["state"]: row["n"] for row in await self.db.fetch_all(
            "SELECT state, count(*) AS n FROM activations WHERE state IN ('open', 'staffed')"
            " GROUP BY state")}
        lanes = {row["lane"]: row["n"] for row in await self.db.fetch_all(
            "SELECT lane, count(*) AS n FROM outbox WHERE state IN ('pending', 'sending')"
            " GROUP BY lane")}
        oldest = await self.db.fetch_one(
            "SELECT min(created_at) AS at FROM outbox WHERE state IN ('pending', 'sending')")
        overdue = await self.db.fetch_one(
            "SELECT count(*) AS n FROM deadlines WHERE state = 'pending' AND due_at < ?",
            (to_db(overdue_after),))
        return QueueFigures({"open": callouts.get("open", 0),
                             "staffed": callouts.get("staffed", 0)},
                            lanes, from_db(oldest["at"]) if oldest else None, int(overdue["n"]))

    async def staffed_since(self, since: datetime) -> list[tuple[datetime, float]]:
        """Call-outs staffed after `since`: when, and seconds from sending to staffed."""
        rows = await self.db.fetch_all(
            "SELECT created_at, staffed_at FROM activations WHERE staffed_at > ?"
            " ORDER BY staffed_at", (to_db(since),))
        result = []
        for row in rows:
            staffed, created = from_db(row["staffed_at"]), from_db(row["created_at"])
            result.append((staffed, max((staffed - created).total_seconds(), 0.0)))
        return result


def _read_only(path: Path) -> sqlite3.Connection:
    # immutable: a copy just restored, read once, with no -wal or -shm beside it.
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
    connection.row_factory = sqlite3.Row
    return connection


def read_latest_run(path: Path) -> ServiceRun | None:
    """The newest run recorded in a database file that is not open (e.g. a restored copy);
    None if none was, or the file predates the table."""
    connection = _read_only(path)
    try:
        row = connection.execute("SELECT * FROM service_runs ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        connection.close()
    return ServiceRun.from_row(row) if row else None


def read_schema_version(path: Path) -> int:
    """The schema version (PRAGMA user_version) of a database file that is not open."""
    connection = _read_only(path)
    try:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()
