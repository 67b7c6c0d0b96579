"""The append-only audit log: every state change with actor and time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.clock import from_db, to_db
from storage.database import Database

__all__ = ["AuditEntry", "AuditReads", "append_audit"]


async def append_audit(
    connection: aiosqlite.Connection,
    at: datetime,
    actor: str,
    event: str,
    activation_id: int | None = None,
    **detail: Any,
) -> None:
    """Appends one audit row inside the caller's transaction (ids and counts, never free text)."""
    await connection.execute(
        "INSERT INTO audit_log (at, actor, activation_id, event, detail) VALUES (?, ?, ?, ?, ?)",
        (to_db(at), actor, activation_id, event, json.dumps(detail, sort_keys=True)),
    )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the audit log, with the code of its activation if it has one."""

    id: int
    at: datetime
    actor: str
    activation_id: int | None
    activation_code: str | None
    event: str
    detail: dict[str, Any]


_SELECT = ("SELECT l.id, l.at, l.actor, l.activation_id, a.code, l.event, l.detail"
           " FROM audit_log AS l LEFT JOIN activations AS a ON a.id = l.activation_id")


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(id=row[0], at=from_db(row[1]), actor=row[2], activation_id=row[3],
                      activation_code=row[4], event=row[5], detail=json.loads(row[6]))


class AuditReads:
    """Reads of the audit log for /audit and the yearly export."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def for_activation(self, activation_id: int) -> list[AuditEntry]:
        """Every row about one activation, oldest first."""
        rows = await self.db.fetch_all(f"{_SELECT} WHERE l.activation_id = ? ORDER BY l.id",
                                       (activation_id,))
        return [_entry(row) for row in rows]

    async def between(self, start: datetime, end: datetime) -> list[AuditEntry]:
        """Every row appended from start (inclusive) to end (exclusive), oldest first."""
        rows = await self.db.fetch_all(f"{_SELECT} WHERE l.at >= ? AND l.at < ? ORDER BY l.id",
                                       (to_db(start), to_db(end)))
        return [_entry(row) for row in rows]
