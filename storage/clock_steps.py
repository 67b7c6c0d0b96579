"""A wall-clock step applied to the stored times of what is still running.

Stored times are wall-clock UTC as the bot read it. When the wall clock steps by Δ, the bot's
clock follows (bot.timekeeping.SteadyClock) and the times that are still in use move by the same
Δ, so every "due at", "asked at" and "created at" of a running call-out stays on the same scale
as "now": a reminder still comes its configured delay after the call-out went out, and "staffed
after 4 min" stays 4 min. History stays as it was written: closed and cancelled call-outs, the
audit log, sent messages, invites and the absences people set (an absolute date they chose).
"""

from __future__ import annotations

from datetime import timedelta

import aiosqlite

from storage.clock import from_db, to_db

__all__ = ["RUNNING_TIMES", "shift_running_times"]

RUNNING = "(SELECT id FROM activations WHERE state IN ('open', 'staffed'))"

# (table, time columns, which rows are still running). Names are constants, never input.
RUNNING_TIMES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("deadlines", ("due_at", "created_at"), "state = 'pending'"),
    ("activations", ("created_at", "staffed_at", "unstaffed_alert_at"),
     "state IN ('open', 'staffed')"),
    ("requests", ("asked_at", "answered_at", "confirmed_at", "arrived_at", "finished_at"),
     f"activation_id IN {RUNNING}"),
    ("outbox", ("not_before", "created_at"), "state = 'pending'"),
    ("debriefs", ("created_at", "sent_at", "asked_at", "reminded_at"),
     "state IN ('scheduled', 'open', 'paused')"),
    ("dialogues", ("updated_at",), "1"),
)


async def shift_running_times(connection: aiosqlite.Connection,
                              delta: timedelta) -> dict[str, int]:
    """Moves every running time by delta inside the caller's transaction; rows moved per table.

    Done in Python, not with SQLite's date functions: those write milliseconds, and the stored
    text must keep its fixed width so that text order stays time order (storage.clock).
    """
    moved: dict[str, int] = {}
    for table, columns, running in RUNNING_TIMES:
        query = f"SELECT rowid AS row_key, {', '.join(columns)} FROM {table} WHERE {running}"
        async with connection.execute(query) as cursor:
            rows = list(await cursor.fetchall())
        updates = []
        for row in rows:
            shifted = [None if row[column] is None else to_db(from_db(row[column]) + delta)
                       for column in columns]
            updates.append((*shifted, row["row_key"]))
        if updates:
            assignments = ", ".join(f"{column} = ?" for column in columns)
            await connection.executemany(f"UPDATE {table} SET {assignments} WHERE rowid = ?",
                                         updates)
        moved[table] = len(updates)
    return moved
