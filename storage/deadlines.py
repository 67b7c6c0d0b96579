"""Deadlines as rows: add, cancel, take (exactly once), and list for re-arming at start-up."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.clock import to_db
from storage.database import Database
from storage.models import Deadline

__all__ = ["DeadlineStore", "add_deadline", "cancel_deadlines", "take_deadline"]

Connection = aiosqlite.Connection


async def add_deadline(connection: Connection, kind: str, due_at: datetime, now: datetime, *,
                       activation_id: int | None = None, request_id: int | None = None,
                       step: int = 0, intake_id: int | None = None) -> Deadline:
    """Adds a pending deadline inside the caller's transaction."""
    async with connection.execute(
        "INSERT INTO deadlines (kind, activation_id, request_id, step, due_at, created_at,"
        " intake_id) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (kind, activation_id, request_id, step, to_db(due_at), to_db(now), intake_id),
    ) as cursor:
        return Deadline.from_row(await cursor.fetchone())


async def cancel_deadlines(connection: Connection, activation_id: int,
                           kinds: tuple[str, ...]) -> int:
    """Cancels the activation's pending deadlines of these kinds; returns how many."""
    placeholders = ", ".join("?" for _ in kinds)
    cursor = await connection.execute(
        f"UPDATE deadlines SET state = 'cancelled' WHERE activation_id = ? AND state = 'pending'"
        f" AND kind IN ({placeholders})",
        (activation_id, *kinds),
    )
    return cursor.rowcount


async def cancel_request_deadlines(connection: Connection, request_id: int, kind: str) -> int:
    """Cancels a request's pending deadlines of one kind (e.g. a mixed-pair wait)."""
    cursor = await connection.execute(
        "UPDATE deadlines SET state = 'cancelled' WHERE request_id = ? AND kind = ?"
        " AND state = 'pending'", (request_id, kind))
    return cursor.rowcount


async def take_deadline(connection: Connection, deadline_id: int,
                        now: datetime) -> Deadline | None:
    """Marks a pending deadline done and returns it; None if it already fired or was cancelled.

    Called in the same transaction as the work the deadline triggers, so a deadline armed twice
    (or re-armed after a restart) acts once.
    """
    async with connection.execute(
        "UPDATE deadlines SET state = 'done', fired_at = ? WHERE id = ? AND state = 'pending'"
        " RETURNING *", (to_db(now), deadline_id),
    ) as cursor:
        row = await cursor.fetchone()
    return Deadline.from_row(row) if row else None


async def fired_steps(connection: Connection, activation_id: int, kind: str) -> set[int]:
    """The steps of this kind that already fired for the activation (e.g. waves sent)."""
    async with connection.execute(
        "SELECT step FROM deadlines WHERE activation_id = ? AND kind = ? AND state = 'done'",
        (activation_id, kind),
    ) as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def mark_unstaffed_alert(connection: Connection, activation_id: int, now: datetime) -> None:
    """Remembers that the leaders were told the activation is not staffed."""
    await connection.execute("UPDATE activations SET unstaffed_alert_at = ? WHERE id = ?",
                             (to_db(now), activation_id))


class DeadlineStore:
    """Reads for the timer and the watchdog."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def pending(self) -> list[Deadline]:
        """Every pending deadline, earliest first (to arm them all at start-up)."""
        rows = await self.db.fetch_all(
            "SELECT * FROM deadlines WHERE state = 'pending' ORDER BY due_at, id")
        return [Deadline.from_row(row) for row in rows]

    async def pending_count(self) -> int:
        """How many deadlines are still to come."""
        row = await self.db.fetch_one("SELECT count(*) AS n FROM deadlines WHERE state = 'pending'")
        return int(row["n"])

    async def stalled_activations(self) -> list[int]:
        """Open activations short of people with no pending deadline and no alert sent yet."""
        rows = await self.db.fetch_all(
            "SELECT a.id FROM activations AS a WHERE a.state = 'open'"
            " AND a.unstaffed_alert_at IS NULL"
            " AND (SELECT count(*) FROM requests AS r WHERE r.activation_id = a.id"
            "      AND r.state = 'confirmed') < a.needed"
            " AND NOT EXISTS (SELECT 1 FROM deadlines AS d WHERE d.activation_id = a.id"
            # Renewing the location pins (bot.callout.pins) moves nobody towards staffing.
            "      AND d.state = 'pending' AND d.kind != 'pin_renewal')")
        return [row["id"] for row in rows]
